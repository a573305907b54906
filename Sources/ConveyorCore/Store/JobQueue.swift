/// JobQueue is the heart of a store: jobs go in (enqueue), are leased out exactly once (claim), and
/// come back with their outcome (complete, fail, release) or are cancelled. Every method is atomic:
/// it happens completely or throws and changes nothing, and every change goes through `Job`'s
/// lifecycle methods, so the rules are the same on every engine. Workers and the enqueue and
/// lease routes take this role.
public protocol JobQueue: Sendable {
    /// Rung with a queue's name whenever jobs become available on it through this store (enqueue,
    /// release, replay), so that idle workers wake without polling.
    var wakeups: Doorbell { get }

    /// Posted with a running job's id when it is cancelled (by this process; on PostgreSQL by
    /// any), so that the worker running it here stops it at once.
    var cancellations: CancellationBoard { get }

    /// Accepts all jobs or none, in order. Jobs that share an idempotency key with an unfinished
    /// job (or an earlier job of the same batch) come back with `inserted == false`.
    func enqueue(batch jobs: [NewJob]) async throws -> [EnqueueResult]

    /// Accepts one job under an HTTP idempotency key, in one transaction with the key: see
    /// `RequestIdempotency`. Requests with the same key wait for each other.
    func enqueue(_ job: NewJob, idempotency: RequestIdempotency) async throws -> IdempotentEnqueue

    /// Leases up to `request.limit` claimable jobs, each exactly once across all claimers.
    func claim(_ request: ClaimRequest) async throws -> [Job]

    /// Extends a running job's lease to `lease` from now.
    func heartbeat(_ lease: Lease, extendBy duration: Duration) async throws -> Job

    /// Marks a running job completed, keeping its result (if any) byte for byte.
    func complete(_ completion: Completion) async throws -> Job

    /// Marks several running jobs completed in one transaction — how a busy worker keeps up (one
    /// commit for many jobs). Each lease is checked on its own: a stale one gets its own
    /// `leaseLost` (or `notFound`) in the result and does not stop the others.
    func complete(batch completions: [Completion]) async throws -> [Result<Job, JobStoreError>]

    /// Keeps `progress` as the running job's latest, for the lease holder. Callers coalesce
    /// reports first (`ProgressWriter`): this is one write.
    func recordProgress(_ lease: Lease, _ progress: JobPayload) async throws -> Job

    /// Records a failed attempt: retried after backoff — the store's policy's, or `retryAfter`
    /// when the worker chose it —, or dead when attempts are exhausted or the error is not
    /// retryable.
    func fail(_ lease: Lease, message: String, retryable: Bool, retryAfter: Duration?) async throws -> Job

    /// Gives a running job back without spending the attempt, claimable again after `delay` (for a
    /// worker shutting down, `.zero`; for a handler that snoozes, its delay).
    func release(_ lease: Lease, after delay: Duration) async throws -> Job

    /// Cancels a job that has not finished; a running one's lease is revoked, and its worker told
    /// through `cancellations`.
    func cancel(id: JobID) async throws -> Job
}

extension JobQueue {
    /// Accepts one job: a batch of one. A 2xx on enqueue means this returned: the job is committed.
    public func enqueue(_ job: NewJob) async throws -> EnqueueResult {
        try await enqueue(batch: [job])[0]
    }

    /// Records a failed attempt, retried after the store's backoff.
    public func fail(_ lease: Lease, message: String, retryable: Bool) async throws -> Job {
        try await fail(lease, message: message, retryable: retryable, retryAfter: nil)
    }

    /// Marks a running job completed without a result.
    public func complete(_ lease: Lease) async throws -> Job {
        try await complete(Completion(lease))
    }
}
