public import Foundation

/// NewJob is a validated request to enqueue one job. Its initialiser is the only way to make one,
/// so every entry point (CLI, HTTP, library) applies the same rules and a store never sees bad input.
public struct NewJob: Sendable, Hashable {
    /// The documented default for `maxAttempts`.
    public static let defaultMaxAttempts = 20
    /// The allowed priorities: 0 runs first, 9 last; the default is 0.
    public static let priorities = 0...9

    /// When the job may first run.
    public enum Start: Sendable, Hashable {
        /// As soon as a worker is free.
        case now
        /// After a delay from the moment the store accepts the job.
        case after(Duration)
        /// At a given time (a time in the past means now).
        case at(Date)
    }

    public let customer: String
    public let queue: String
    public let type: String
    public let payload: JobPayload
    public let priority: Int
    public let start: Start
    public let maxAttempts: Int
    public let idempotencyKey: String?
    /// The schedule that makes this job, and the tick it is for (`made(bySchedule:for:)`); nil for
    /// a job enqueued by a caller.
    public private(set) var schedule: String?
    public private(set) var scheduledFor: Date?

    /// Validates every field; throws the first `ValidationError` found.
    public init(
        customer: String,
        queue: String,
        type: String,
        payload: JobPayload,
        priority: Int = 0,
        start: Start = .now,
        maxAttempts: Int = NewJob.defaultMaxAttempts,
        idempotencyKey: String? = nil,
        limits: JobLimits = .default
    ) throws(ValidationError) {
        self.customer = try NameRules.customer(customer)
        self.queue = try NameRules.queue(queue)
        self.type = try NameRules.type(type)
        self.payload = payload
        guard NewJob.priorities.contains(priority) else {
            throw ValidationError(field: "priority", reason: "must be between 0 (first) and 9 (last) (got \(priority))")
        }
        self.priority = priority
        guard (1...limits.maxAttemptsCeiling).contains(maxAttempts) else {
            throw ValidationError(
                field: "max_attempts", reason: "must be between 1 and \(limits.maxAttemptsCeiling) (got \(maxAttempts))"
            )
        }
        self.maxAttempts = maxAttempts
        if case .after(let delay) = start {
            guard delay >= .zero else {
                throw ValidationError(
                    field: "delay_seconds", reason: "must not be negative (got \(delay.timeInterval))")
            }
            guard delay <= limits.maxDelay else {
                throw ValidationError(
                    field: "delay_seconds", reason: "must be at most \(Int(limits.maxDelay.timeInterval)) seconds")
            }
        }
        self.start = start
        self.idempotencyKey = try idempotencyKey.map { key throws(ValidationError) in try NameRules.idempotencyKey(key)
        }
    }

    /// A job on a queue of Conveyor's own, whose name no caller may use (it starts with `_`); its
    /// maker checks the rest.
    init(reservedQueue queue: String, customer: String, type: String, payload: JobPayload, maxAttempts: Int) {
        self.customer = customer
        self.queue = queue
        self.type = type
        self.payload = payload
        self.priority = 0
        self.start = .now
        self.maxAttempts = maxAttempts
        self.idempotencyKey = nil
    }

    /// A schedule's job, whose fields were checked when the schedule was made (`ScheduleDraft`).
    init(
        scheduledFor customer: String, queue: String, type: String, payload: JobPayload, priority: Int, maxAttempts: Int
    ) {
        self.customer = customer
        self.queue = queue
        self.type = type
        self.payload = payload
        self.priority = priority
        self.start = .now
        self.maxAttempts = maxAttempts
        self.idempotencyKey = nil
    }

    /// Convenience that validates the payload text too.
    public init(
        customer: String, queue: String, type: String, payloadJSON: String, priority: Int = 0, start: Start = .now,
        maxAttempts: Int = NewJob.defaultMaxAttempts, idempotencyKey: String? = nil, limits: JobLimits = .default
    ) throws(ValidationError) {
        try self.init(
            customer: customer, queue: queue, type: type,
            payload: try JobPayload(json: payloadJSON, limitBytes: limits.payloadBytes),
            priority: priority, start: start, maxAttempts: maxAttempts, idempotencyKey: idempotencyKey, limits: limits)
    }

    /// This job as schedule `name` makes it for its tick at `tick`.
    public func made(bySchedule name: String, for tick: Date) -> NewJob {
        var job = self
        job.schedule = name
        job.scheduledFor = tick.truncatedToMilliseconds
        return job
    }

    /// The moment the job becomes claimable, given the time the store accepts it.
    public func runAt(acceptedAt now: Date) -> Date {
        switch start {
        case .now: now
        case .after(let delay): now.adding(delay).truncatedToMilliseconds
        case .at(let date): max(now, date.truncatedToMilliseconds)
        }
    }
}
