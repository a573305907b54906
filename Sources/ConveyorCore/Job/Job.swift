public import Foundation

/// Job is one unit of work as a store keeps it. Its state only changes through the lifecycle
/// methods in `Job+lifecycle.swift`, which every engine calls, so the rules live in one place.
public struct Job: Sendable, Hashable, Codable {
    public let id: JobID
    public let customer: String
    public let queue: String
    public let type: String
    public let payload: JobPayload
    public let priority: Int
    public internal(set) var state: JobState
    /// When the job may next be claimed (for `scheduled`, `available` and `retryable` jobs).
    public internal(set) var runAt: Date
    /// How many times the job has been claimed since it was enqueued or last replayed.
    public internal(set) var attempt: Int
    public internal(set) var maxAttempts: Int
    /// The fencing token of the current lease; only the holder may heartbeat, complete, fail or
    /// release the job. Nil when the job is not running.
    public internal(set) var leaseToken: String?
    public internal(set) var leaseExpiresAt: Date?
    /// The worker that holds the lease, when it said who it is.
    public internal(set) var workerID: String?
    /// The errors of the latest attempts, oldest first, bounded by `JobLimits.errorHistoryCount`.
    public internal(set) var errors: [AttemptError]
    public internal(set) var deadReason: DeadReason?
    /// How many times the job was replayed out of the dead-letter queue.
    public internal(set) var replayCount: Int
    /// Unique per customer and queue among unfinished jobs.
    public internal(set) var idempotencyKey: String?
    public let createdAt: Date
    /// When the latest attempt started.
    public internal(set) var attemptedAt: Date?
    /// When the job reached `completed`, `dead` or `cancelled`.
    public internal(set) var finishedAt: Date?
    public internal(set) var firstFailedAt: Date?
    public internal(set) var lastFailedAt: Date?
    /// What the job produced: the JSON value its worker completed it with, byte for byte; nil
    /// until it completed, or when it completed without one.
    public internal(set) var result: JobPayload?
    /// The latest progress its current (or last) attempt reported, byte for byte; nil when none
    /// did. A new attempt starts without.
    public internal(set) var progress: JobPayload?
    /// The schedule that made the job, by name, and the tick it was made for; nil for a job a
    /// caller enqueued.
    public let schedule: String?
    public let scheduledFor: Date?

    /// Restores a job exactly as a store saved it; no rule is checked. Engines use this to read rows.
    public init(
        id: JobID, customer: String, queue: String, type: String, payload: JobPayload, priority: Int,
        state: JobState, runAt: Date, attempt: Int, maxAttempts: Int, leaseToken: String?, leaseExpiresAt: Date?,
        workerID: String?, errors: [AttemptError], deadReason: DeadReason?, replayCount: Int, idempotencyKey: String?,
        createdAt: Date, attemptedAt: Date?, finishedAt: Date?, firstFailedAt: Date?, lastFailedAt: Date?,
        result: JobPayload? = nil, progress: JobPayload? = nil, schedule: String? = nil, scheduledFor: Date? = nil
    ) {
        self.id = id
        self.customer = customer
        self.queue = queue
        self.type = type
        self.payload = payload
        self.priority = priority
        self.state = state
        self.runAt = runAt
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.leaseToken = leaseToken
        self.leaseExpiresAt = leaseExpiresAt
        self.workerID = workerID
        self.errors = errors
        self.deadReason = deadReason
        self.replayCount = replayCount
        self.idempotencyKey = idempotencyKey
        self.createdAt = createdAt
        self.attemptedAt = attemptedAt
        self.finishedAt = finishedAt
        self.firstFailedAt = firstFailedAt
        self.lastFailedAt = lastFailedAt
        self.result = result
        self.progress = progress
        self.schedule = schedule
        self.scheduledFor = scheduledFor
    }

    /// The job a store creates when it accepts `request` at `now`.
    public init(accepting request: NewJob, id: JobID, at now: Date) {
        let now = now.truncatedToMilliseconds
        let runAt = request.runAt(acceptedAt: now)
        self.init(
            id: id, customer: request.customer, queue: request.queue, type: request.type, payload: request.payload,
            priority: request.priority, state: runAt > now ? .scheduled : .available, runAt: runAt, attempt: 0,
            maxAttempts: request.maxAttempts, leaseToken: nil, leaseExpiresAt: nil, workerID: nil, errors: [],
            deadReason: nil, replayCount: 0, idempotencyKey: request.idempotencyKey, createdAt: now, attemptedAt: nil,
            finishedAt: nil, firstFailedAt: nil, lastFailedAt: nil, schedule: request.schedule,
            scheduledFor: request.scheduledFor)
    }

    /// Whether `self` comes before `other` in claim order — priority, then run_at, then id — the
    /// order of a customer's jobs in a claim and of the jobs a claim gives back, on both engines.
    public func precedesInClaimOrder(_ other: Job) -> Bool {
        (priority, runAt, id) < (other.priority, other.runAt, other.id)
    }

    /// The lease a worker presents for this job, when it is running.
    public var lease: Lease? {
        leaseToken.map { Lease(jobID: id, token: $0) }
    }

    enum CodingKeys: String, CodingKey {
        case id, customer, queue, type, payload, priority, state, attempt, errors, result, progress, schedule
        case scheduledFor = "scheduled_for"
        case runAt = "run_at"
        case maxAttempts = "max_attempts"
        case leaseToken = "lease_token"
        case leaseExpiresAt = "lease_expires_at"
        case workerID = "worker_id"
        case deadReason = "dead_reason"
        case replayCount = "replay_count"
        case idempotencyKey = "idempotency_key"
        case createdAt = "created_at"
        case attemptedAt = "attempted_at"
        case finishedAt = "finished_at"
        case firstFailedAt = "first_failed_at"
        case lastFailedAt = "last_failed_at"
    }
}

/// Completion is a worker's report that the job of `lease` is done, with its result, if any.
public struct Completion: Sendable, Hashable {
    public let lease: Lease
    public let result: JobPayload?

    /// Creates a completion report.
    public init(_ lease: Lease, result: JobPayload? = nil) {
        self.lease = lease
        self.result = result
    }
}

/// Lease names a running job and the fencing token its claim handed out — and, when a customer's
/// key presents it, that customer: a lease call on another customer's job is then refused as
/// `notFound`, whatever the token, as the API's visibility rule has it, without a read of its own.
public struct Lease: Sendable, Hashable, Codable {
    public let jobID: JobID
    public let token: String
    /// The only customer whose job this lease may act on; nil for any (an admin's key, a worker
    /// in a process of the deployment's own).
    public let customer: String?

    /// Creates a lease reference.
    public init(jobID: JobID, token: String, customer: String? = nil) {
        self.jobID = jobID
        self.token = token
        self.customer = customer
    }
}
