/// RetentionPolicy says how long finished jobs are kept before pruning removes them, and bounds the
/// dead-letter queue by count. The defaults follow River's and Sidekiq's: finished jobs 24 h, dead
/// jobs 7 days and at most 10,000.
public struct RetentionPolicy: Sendable, Hashable {
    public var completed: Duration
    public var cancelled: Duration
    public var dead: Duration
    /// The most dead jobs kept; the oldest deaths are pruned first.
    public var deadMaxCount: Int
    /// How long job events are kept for streams to resume from (default an hour).
    public var events: Duration

    /// Creates a policy; every argument defaults to the documented default.
    public init(
        completed: Duration = .seconds(24 * 3600), cancelled: Duration = .seconds(24 * 3600),
        dead: Duration = .seconds(7 * 24 * 3600), deadMaxCount: Int = 10_000, events: Duration = .seconds(3600)
    ) {
        self.events = events
        self.completed = completed
        self.cancelled = cancelled
        self.dead = dead
        self.deadMaxCount = deadMaxCount
    }

    /// The documented defaults.
    public static let `default` = RetentionPolicy()

    /// The defaults, overridden by `RETENTION_COMPLETED_HOURS`, `RETENTION_CANCELLED_HOURS`,
    /// `RETENTION_DEAD_DAYS`, `RETENTION_DEAD_MAX` (the most dead jobs kept) and
    /// `EVENTS_RETENTION_SECONDS`.
    public init(settings: Settings) throws(ValidationError) {
        self.init()
        if let hours = try settings.number("RETENTION_COMPLETED_HOURS", in: 0...87_600) {
            completed = .seconds(hours * 3600)
        }
        if let hours = try settings.number("RETENTION_CANCELLED_HOURS", in: 0...87_600) {
            cancelled = .seconds(hours * 3600)
        }
        if let days = try settings.number("RETENTION_DEAD_DAYS", in: 0...3650) { dead = .seconds(days * 86_400) }
        if let count = try settings.integer("RETENTION_DEAD_MAX", in: 0...100_000_000) { deadMaxCount = count }
        if let seconds = try settings.seconds("EVENTS_RETENTION_SECONDS", in: 1...(30 * 86_400)) { events = seconds }
    }
}

/// PruneReport counts what one pruning pass deleted, so that totals can still be reconciled.
public struct PruneReport: Sendable, Hashable {
    public var completed: Int
    public var cancelled: Int
    public var dead: Int

    /// Creates a report.
    public init(completed: Int = 0, cancelled: Int = 0, dead: Int = 0) {
        self.completed = completed
        self.cancelled = cancelled
        self.dead = dead
    }

    /// Every job deleted.
    public var total: Int { completed + cancelled + dead }
}

/// EnqueueResult is the job a store holds for an enqueue request, and whether this request created
/// it or an unfinished job with the same idempotency key already existed.
public struct EnqueueResult: Sendable, Hashable {
    public let job: Job
    public let inserted: Bool

    /// Creates a result.
    public init(job: Job, inserted: Bool) {
        self.job = job
        self.inserted = inserted
    }
}
