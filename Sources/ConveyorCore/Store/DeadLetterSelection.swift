public import Foundation

/// DeadLetterSelection picks jobs in the dead-letter queue to replay or purge.
public enum DeadLetterSelection: Sendable, Hashable {
    /// Exactly these jobs; the operation is refused as a whole if any of them is unknown or not dead.
    case ids([JobID])
    /// Every dead job matching the filter.
    case matching(DeadLetterFilter)

    /// When each of `count` replayed jobs (in order) runs: all at `now`, or at most `pace` a second
    /// from `now` — so a large replay does not flood the workers.
    public static func turns(count: Int, perSecond pace: Double?, from now: Date) -> [Date] {
        guard let pace, pace > 0 else { return Array(repeating: now, count: count) }
        return (0..<count).map { now.addingTimeInterval(Double($0) / pace) }
    }
}

/// DeadLetterFilter narrows the dead-letter queue: by customer, queue and type (`filter`, its
/// `states` ignored), by text in the last error (case-insensitive), and by when the job died.
public struct DeadLetterFilter: Sendable, Hashable {
    public var filter: JobFilter
    public var errorContains: String?
    /// Died at or after this time.
    public var diedAfter: Date?
    /// Died before this time.
    public var diedBefore: Date?

    /// Creates a filter; an empty error text or a range that ends before it starts is refused.
    public init(
        _ filter: JobFilter = .all, errorContains: String? = nil, diedAfter: Date? = nil, diedBefore: Date? = nil
    ) throws(ValidationError) {
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
