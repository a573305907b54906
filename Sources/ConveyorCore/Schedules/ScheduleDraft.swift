public import Foundation

/// ScheduleDraft is a checked schedule to make or to replace one with: its name is a name, its
/// expression parses and fires, its zone exists, its job passes `NewJob`'s rules. Every entry
/// point (HTTP, CLI, `schedules apply`) makes one, so a store never sees a bad schedule.
public struct ScheduleDraft: Sendable, Hashable {
    public let customer: String
    public let name: String
    public let cron: CronExpression
    public let timezone: String
    public let missed: MissedTickPolicy
    public let job: JobTemplate

    /// Checks each member, naming the first wrong one (`name`, `cron`, `timezone`, `missed`,
    /// `queue`, `type`, `payload`, `priority`, `max_attempts`).
    public init(
        customer: String, name: String, cron: String, timezone: String?, missed: String?, queue: String,
        type: String, payload: JobPayload, priority: Int?, maxAttempts: Int?, limits: JobLimits = .default
    ) throws(ValidationError) {
        self.customer = try NameRules.customer(customer)
        self.name = try NameRules.schedule(name)
        self.cron = try CronExpression(cron)
        self.timezone = try Self.zone(timezone ?? "UTC")
        self.missed = try MissedTickPolicy(named: missed)
        try payload.checkSize(limitBytes: limits.payloadBytes)
        // NewJob's rules, so that a schedule's job is held to what an enqueue is.
        let checked = try NewJob(
            customer: customer, queue: queue, type: type, payload: payload, priority: priority ?? 0,
            maxAttempts: maxAttempts ?? NewJob.defaultMaxAttempts, limits: limits)
        self.job = JobTemplate(
            queue: checked.queue, type: checked.type, payload: checked.payload, priority: checked.priority,
            maxAttempts: checked.maxAttempts)
    }

    /// The zone named, when it is a time zone this system knows by its IANA name.
    static func zone(_ name: String) throws(ValidationError) -> String {
        guard name == "UTC" || TimeZone.knownTimeZoneIdentifiers.contains(name), TimeZone(identifier: name) != nil
        else {
            throw ValidationError(
                field: "timezone",
                reason:
                    "must be an IANA time zone such as UTC, Europe/Berlin or America/New_York (got \(name.debugDescription))"
            )
        }
        return name
    }

    /// Whether a schedule made from this draft fires at the same times as `schedule` does: when it
    /// does not, replacing it starts its ticks again from now.
    public func keepsTicks(of schedule: Schedule) -> Bool {
        cron == schedule.cron && timezone == schedule.timezone
    }

    /// The first tick of a schedule made (or re-timed) from this draft at `now`.
    public func firstTick(after now: Date) -> Date {
        Schedule.firstTick(of: cron, in: TimeZone(identifier: timezone) ?? .gmt, after: now)
    }
}

/// ScheduleChange is a partial update of a schedule: each member nil keeps what it has. It is
/// checked by applying it (`draft(applyingTo:)`), which checks the whole result.
public struct ScheduleChange: Sendable, Hashable {
    public var cron: String?
    public var timezone: String?
    public var missed: String?
    public var queue: String?
    public var type: String?
    public var payload: JobPayload?
    public var priority: Int?
    public var maxAttempts: Int?

    /// Creates a change.
    public init(
        cron: String? = nil, timezone: String? = nil, missed: String? = nil, queue: String? = nil, type: String? = nil,
        payload: JobPayload? = nil, priority: Int? = nil, maxAttempts: Int? = nil
    ) {
        self.cron = cron
        self.timezone = timezone
        self.missed = missed
        self.queue = queue
        self.type = type
        self.payload = payload
        self.priority = priority
        self.maxAttempts = maxAttempts
    }

    /// `schedule` with this change, checked as a whole.
    public func draft(
        applyingTo schedule: Schedule, limits: JobLimits = .default
    ) throws(ValidationError)
        -> ScheduleDraft
    {
        try ScheduleDraft(
            customer: schedule.customer, name: schedule.name, cron: cron ?? schedule.cron.text,
            timezone: timezone ?? schedule.timezone, missed: missed ?? schedule.missed.rawValue,
            queue: queue ?? schedule.job.queue, type: type ?? schedule.job.type,
            payload: payload ?? schedule.job.payload,
            priority: priority ?? schedule.job.priority, maxAttempts: maxAttempts ?? schedule.job.maxAttempts,
            limits: limits)
    }
}
