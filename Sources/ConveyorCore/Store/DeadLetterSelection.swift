public import Foundation

/// DeadLetterSelection picks jobs in the dead-letter queue to replay or purge.
public enum DeadLetterSelection: Sendable, Hashable {
    /// Exactly these jobs; the operation is refused as a whole if any of them is unknown or not dead.
    case ids([JobID])
    /// The dead jobs matching the filter among at most `filter.limit` read in id order after
    /// `filter.after`: a call's work is bounded, and a long replay or purge goes on in calls of
    /// its own (on SQLite, one write transaction each, so no single one holds every writer back).
    case matching(DeadLetterFilter)

    /// When each of `count` replayed jobs (in order) runs: all at `now`, or at most `pace` a second
    /// from `now` (or from where an earlier call's pace stopped, if later) — so a large replay
    /// does not flood the workers.
    public func turns(count: Int, perSecond pace: Double?, from now: Date) -> [Date] {
        guard let pace, pace > 0 else { return Array(repeating: now, count: count) }
        let start = firstTurn(from: now)
        return (0..<count).map { start.addingTimeInterval(Double($0) / pace) }
    }

    /// When a paced replay's first job runs: now, or where an earlier call's pace stopped.
    public func firstTurn(from now: Date) -> Date {
        guard case .matching(let filter) = self, let from = filter.turnsFrom else { return now }
        return max(now, from)
    }
}

/// DeadLetterFilter narrows the dead-letter queue: by customer, queue and type (`filter`, its
/// `states` ignored), by text in the last error (case-insensitive), and by when the job died; a
/// replay or purge reads at most `limit` dead jobs of those in SQL, in id order after `after`.
public struct DeadLetterFilter: Sendable, Hashable {
    /// The most dead jobs one replay or purge by filter reads.
    public static let maximumPerCall = 1000

    public var filter: JobFilter
    public var errorContains: String?
    /// Died at or after this time.
    public var diedAfter: Date?
    /// Died before this time.
    public var diedBefore: Date?
    /// Only jobs after this id (where the last call stopped: `DeadLetterBatch.next`).
    public var after: JobID?
    /// A paced replay's first turn, when later than now: where the last call's pace stopped
    /// (`DeadLetterBatch.nextTurn`), so a replay done in several calls keeps one pace.
    public var turnsFrom: Date?
    /// The most dead jobs read, 1 to `maximumPerCall`.
    public var limit: Int

    /// Creates a filter; an empty error text, a range that ends before it starts or a limit out of
    /// range is refused.
    public init(
        _ filter: JobFilter = .all, errorContains: String? = nil, diedAfter: Date? = nil, diedBefore: Date? = nil,
        after: JobID? = nil, turnsFrom: Date? = nil, limit: Int = DeadLetterFilter.maximumPerCall
    ) throws(ValidationError) {
        guard (1...Self.maximumPerCall).contains(limit) else {
            throw ValidationError(field: "limit", reason: "must be 1 to \(Self.maximumPerCall) (got \(limit))")
        }
        if let errorContains, errorContains.isEmpty || errorContains.utf8.count > 1000 {
            throw ValidationError(field: "error", reason: "must be 1 to 1000 bytes of text")
        }
        if let diedAfter, let diedBefore, diedBefore <= diedAfter {
            throw ValidationError(field: "died_before", reason: "must be later than died_after")
        }
        self.filter = filter
        self.errorContains = errorContains
        self.diedAfter = diedAfter
        self.diedBefore = diedBefore
        self.after = after
        self.turnsFrom = turnsFrom
        self.limit = limit
    }

    /// Where a filter's call goes on: after the last of the jobs it `read` (in id order) when it
    /// read a whole limit, as more may follow; nil when it read them all.
    public func next(read: [Job]) -> JobID? {
        read.count >= limit ? read.last?.id : nil
    }

    /// Whether a dead job's last error and time of death match (engines select the rest in SQL).
    public func matches(_ job: Job) -> Bool {
        if let errorContains,
            job.errors.last?.message.range(of: errorContains, options: .caseInsensitive) == nil
        {
            return false
        }
        let died = job.finishedAt ?? .distantPast
        if let diedAfter, died < diedAfter { return false }
        if let diedBefore, died >= diedBefore { return false }
        return true
    }
}

extension DeadLetterSelection {
    /// The selection of the call after `batch`: the same filter from where the batch stopped (and
    /// where its pace stopped); nil when nothing more can match.
    public func continued(after batch: DeadLetterBatch) -> DeadLetterSelection? {
        guard case .matching(var filter) = self, let next = batch.next else { return nil }
        filter.after = next
        filter.turnsFrom = batch.nextTurn
        return .matching(filter)
    }

    /// The jobs `ids` name, in their order, among `found` (the engine's lookup of those ids): each
    /// must exist and be dead, or the whole selection is refused and nothing happens — a replay or
    /// purge by id is all or nothing, on every engine.
    public static func dead(
        _ ids: [JobID], among found: [JobID: Job], for event: JobEvent
    ) throws(JobStoreError) -> [Job] {
        try ids.map { id throws(JobStoreError) in
            guard let job = found[id] else { throw JobStoreError.notFound(id: id) }
            guard job.state == .dead else {
                throw JobStoreError.illegalTransition(id: id, from: job.state, event: event)
            }
            return job
        }
    }
}
