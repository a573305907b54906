public import Foundation

/// JobStore is the one interface every storage engine implements (SQLite and PostgreSQL) and
/// that the conformance suite in ConveyorTestSupport checks. Every method is atomic: it either
/// happens completely or throws and changes nothing. State changes go through `Job`'s lifecycle
/// methods, so the rules are the same on every engine.
public protocol JobStore: Sendable {
    /// Rung with a queue's name whenever jobs become available on it through this store (enqueue,
    /// release, replay), so that idle workers wake without polling.
    var wakeups: Doorbell { get }

    /// One round trip to the database and back (`SELECT 1`); throws `unavailable` when it does not
    /// answer. Health checks time it; `conveyor bench roundtrip` measures the driver's floor with it.
    func ping() async throws

    /// Accepts one job. A 2xx on enqueue means this returned: the job is committed.
    func enqueue(_ job: NewJob) async throws -> EnqueueResult

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

    /// Marks a running job completed.
    func complete(_ lease: Lease) async throws -> Job

    /// Marks several running jobs completed in one transaction — how a busy worker keeps up (one
    /// commit for many jobs). Each lease is checked on its own: a stale one gets its own
    /// `leaseLost` (or `notFound`) in the result and does not stop the others.
    func complete(batch leases: [Lease]) async throws -> [Result<Job, JobStoreError>]

    /// Records a failed attempt: retried after backoff, or dead when attempts are exhausted or the
    /// error is not retryable.
    func fail(_ lease: Lease, message: String, retryable: Bool) async throws -> Job

    /// Gives a running job back without spending the attempt, claimable again after `delay` (for a
    /// worker shutting down, `.zero`; for a handler that snoozes, its delay).
    func release(_ lease: Lease, after delay: Duration) async throws -> Job

    /// Cancels a job that has not finished.
    func cancel(id: JobID) async throws -> Job

    /// The job with this id, or nil.
    func job(id: JobID) async throws -> Job?

    /// One page of jobs, newest first.
    func list(_ query: JobQuery) async throws -> JobPage

    /// Jobs per state for each customer's queue; `customer` restricts it to one customer.
    func counts(customer: String?) async throws -> [QueueCounts]

    /// Dead jobs in all — read through the index of finished jobs, so that health and the
    /// dead-letter monitor, which ask often, do not count the whole table.
    func deadLetterCount() async throws -> Int

    /// For each queue with jobs ready to run (waiting, run time come), how many and since when the
    /// oldest has been ready.
    func backlogs() async throws -> [QueueBacklog]

    /// Jobs whose last attempt failed after `since` (whatever they are now), the latest first, at
    /// most `limit`: what the dead-letter monitor judges new dead jobs and stale rescues by.
    func recentFailures(since: Date, limit: Int) async throws -> [Job]

    /// Running jobs whose lease expired more than `grace` ago.
    func staleJobs(grace: Duration) async throws -> [Job]

    /// Rescues every stale job (see `Job.rescueStale`) and returns them as they are now.
    func rescueStaleJobs(grace: Duration) async throws -> [Job]

    /// Moves dead jobs back with a fresh attempt budget: to `available`, or — at most `pace` a
    /// second, in id order — `scheduled` for their turn.
    func replay(_ selection: DeadLetterSelection, perSecond pace: Double?) async throws -> [Job]

    /// Deletes dead jobs; returns how many.
    func purge(_ selection: DeadLetterSelection) async throws -> Int

    /// Deletes finished jobs older than the policy allows, and idempotency keys past their retention.
    func prune(_ policy: RetentionPolicy) async throws -> PruneReport

    /// Registers (or re-registers) a worker process.
    func registerWorker(_ registration: WorkerRegistration) async throws -> Worker

    /// Records that a worker is alive and how many jobs it runs.
    func heartbeatWorker(id: String, jobsRunning: Int) async throws -> Worker

    /// Every registered worker, oldest first.
    func workers() async throws -> [Worker]

    /// Forgets a worker.
    func removeWorker(id: String) async throws

    /// Adds a customer; `customerExists` if the name is taken.
    func createCustomer(_ name: String) async throws -> Customer

    /// Every customer, by name.
    func customers() async throws -> [Customer]

    /// The customer of this name, or nil.
    func customer(named name: String) async throws -> Customer?

    /// Stores a key made by `APIKeySecret.generate`; `customerNotFound` if its customer is not one.
    func createAPIKey(_ key: NewAPIKey) async throws -> APIKey

    /// Keys, oldest first: every key, or one customer's.
    func apiKeys(customer: String?) async throws -> [APIKey]

    /// The key with this lookup prefix, revoked or not, or nil.
    func apiKey(prefix: String) async throws -> APIKey?

    /// Revokes a key (again is no change); `apiKeyNotFound` if there is none with this id.
    func revokeAPIKey(id: String) async throws -> APIKey

    /// Sets a customer's own rate limit, or with nil gives it back the default;
    /// `customerNotFound` if there is no such customer.
    func setRateLimit(customer: String, policy: RateLimitPolicy?) async throws -> Customer

    /// Decides one request of `key` by the sliding-window rule (`SlidingWindowLog`) as one atomic
    /// step on the database's own clock, outside any other transaction, so that every process
    /// sharing the database counts against the same window. A customer's own policy replaces
    /// `policy`. Only an allowed request is recorded.
    func rateLimit(_ key: RateLimitKey, policy: RateLimitPolicy) async throws -> RateLimitDecision

    /// The key with this prefix, as `apiKey(prefix:)`, and in the same round trip — only when it
    /// is a live customer key whose stored hash equals `secretHash`, so a wrong secret never spends
    /// a customer's quota — a decision of its customer's request, as `rateLimit(_:policy:)`. Saves
    /// an authenticated, rate-limited request one round trip to the database.
    func apiKey(prefix: String, secretHash: String, deciding policy: RateLimitPolicy) async throws -> KeyLookup

    /// Forgets the rate-limit state of keys with no request left in their window (they are as if
    /// new); returns how many keys were forgotten.
    func pruneRateLimits() async throws -> Int
}

/// JobStoreOptions are the engine-independent settings of a store.
public struct JobStoreOptions: Sendable {
    public var retryPolicy: RetryPolicy
    public var limits: JobLimits

    /// Creates options; every argument defaults to the documented default.
    public init(retryPolicy: RetryPolicy = .default, limits: JobLimits = .default) {
        self.retryPolicy = retryPolicy
        self.limits = limits
    }

}

extension JobStore {
    /// Replays at once (no pacing).
    public func replay(_ selection: DeadLetterSelection) async throws -> [Job] {
        try await replay(selection, perSecond: nil)
    }
}
