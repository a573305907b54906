public import Foundation

/// MeteredJobStore records job metrics around any store: every path that enqueues, claims,
/// completes, fails, rescues or cancels a job — HTTP routes, workers, monitors — goes through a
/// store, so recording here counts each event once, in whichever process caused it. Everything
/// else is passed through untouched.
public struct MeteredJobStore: JobStore {
    public let base: any JobStore
    let metrics: ConveyorMetrics
    let clock: any WallClock

    /// Wraps `base`, recording into `metrics`; durations end at `clock`'s now.
    public init(_ base: any JobStore, metrics: ConveyorMetrics, clock: any WallClock = SystemClock()) {
        self.base = base
        self.metrics = metrics
        self.clock = clock
    }

    public var wakeups: Doorbell { base.wakeups }
    public var cancellations: CancellationBoard { base.cancellations }
    public var eventsRecorded: Doorbell { base.eventsRecorded }

    public func events(after cursor: EventCursor?, customer: String?, limit: Int) async throws -> [Event] {
        try await base.events(after: cursor, customer: customer, limit: limit)
    }

    public func newestEventCursor() async throws -> EventCursor? { try await base.newestEventCursor() }

    public func prunedEventCursor() async throws -> EventCursor? { try await base.prunedEventCursor() }

    public func pruneEvents(olderThan age: Duration) async throws -> Int { try await base.pruneEvents(olderThan: age) }

    public func ping() async throws { try await base.ping() }

    // MARK: Recorded

    public func enqueue(batch jobs: [NewJob]) async throws -> [EnqueueResult] {
        let results = try await base.enqueue(batch: jobs)
        for result in results where result.inserted { metrics.enqueued(result.job) }
        return results
    }

    public func enqueue(_ job: NewJob, idempotency: RequestIdempotency) async throws -> IdempotentEnqueue {
        let result = try await base.enqueue(job, idempotency: idempotency)
        if case .created(let job) = result { metrics.enqueued(job) }
        return result
    }

    public func claim(_ request: ClaimRequest) async throws -> [Job] {
        let jobs = try await base.claim(request)
        let now = clock.now()
        for job in jobs { metrics.claimed(job, at: now) }
        return jobs
    }

    public func complete(_ completion: Completion) async throws -> Job {
        let job = try await base.complete(completion)
        metrics.completed(job, at: clock.now())
        return job
    }

    public func complete(batch completions: [Completion]) async throws -> [Result<Job, JobStoreError>] {
        let results = try await base.complete(batch: completions)
        let now = clock.now()
        for case .success(let job) in results { metrics.completed(job, at: now) }
        return results
    }

    public func recordProgress(_ lease: Lease, _ progress: JobPayload) async throws -> Job {
        try await base.recordProgress(lease, progress)
    }

    public func fail(_ lease: Lease, message: String, retryable: Bool, retryAfter: Duration?) async throws -> Job {
        let job = try await base.fail(lease, message: message, retryable: retryable, retryAfter: retryAfter)
        metrics.failed(job, at: clock.now())
        return job
    }

    public func rescueStaleJobs(grace: Duration) async throws -> [Job] {
        let jobs = try await base.rescueStaleJobs(grace: grace)
        for job in jobs { metrics.rescued(job) }
        return jobs
    }

    public func cancel(id: JobID) async throws -> Job {
        let job = try await base.cancel(id: id)
        metrics.cancelled(job)
        return job
    }

    // MARK: Passed through

    public func heartbeat(_ lease: Lease, extendBy duration: Duration) async throws -> Job {
        try await base.heartbeat(lease, extendBy: duration)
    }
    public func release(_ lease: Lease, after delay: Duration) async throws -> Job {
        try await base.release(lease, after: delay)
    }
    public func job(id: JobID) async throws -> Job? { try await base.job(id: id) }
    public func list(_ query: JobQuery) async throws -> JobPage { try await base.list(query) }
    public func counts(customer: String?) async throws -> [QueueCounts] { try await base.counts(customer: customer) }
    public func liveCounts() async throws -> [QueueCounts] { try await base.liveCounts() }
    public func throughput(since: Date) async throws -> [ThroughputMinute] { try await base.throughput(since: since) }
    public func backlogs() async throws -> [QueueBacklog] { try await base.backlogs() }
    public func deadLetterCount() async throws -> Int { try await base.deadLetterCount() }
    public func staleJobs(grace: Duration) async throws -> [Job] { try await base.staleJobs(grace: grace) }
    public func recentFailures(since: Date, limit: Int) async throws -> [Job] {
        try await base.recentFailures(since: since, limit: limit)
    }
    public func replay(_ selection: DeadLetterSelection, perSecond pace: Double?) async throws -> DeadLetterBatch {
        try await base.replay(selection, perSecond: pace)
    }
    public func purge(_ selection: DeadLetterSelection) async throws -> DeadLetterBatch {
        try await base.purge(selection)
    }
    public func prune(_ policy: RetentionPolicy) async throws -> PruneReport { try await base.prune(policy) }
    public func registerWorker(_ registration: WorkerRegistration) async throws -> Worker {
        try await base.registerWorker(registration)
    }
    public func heartbeatWorker(id: String, jobsRunning: Int) async throws -> Worker {
        try await base.heartbeatWorker(id: id, jobsRunning: jobsRunning)
    }
    public func workers() async throws -> [Worker] { try await base.workers() }
    public func removeWorker(id: String) async throws { try await base.removeWorker(id: id) }
    public func createCustomer(_ name: String) async throws -> Customer { try await base.createCustomer(name) }
    public func customers() async throws -> [Customer] { try await base.customers() }
    public func customer(named name: String) async throws -> Customer? { try await base.customer(named: name) }
    public func createAPIKey(_ key: NewAPIKey) async throws -> APIKey { try await base.createAPIKey(key) }
    public func apiKeys(customer: String?) async throws -> [APIKey] { try await base.apiKeys(customer: customer) }
    public func apiKey(prefix: String) async throws -> APIKey? { try await base.apiKey(prefix: prefix) }
    public func revokeAPIKey(id: String) async throws -> APIKey { try await base.revokeAPIKey(id: id) }
    public func setRateLimit(customer: String, policy: RateLimitPolicy?) async throws -> Customer {
        try await base.setRateLimit(customer: customer, policy: policy)
    }
    public func setWeight(customer: String, weight: Double?) async throws -> Customer {
        try await base.setWeight(customer: customer, weight: weight)
    }
    public func pause(queue: String?, customer: String?) async throws -> Pause {
        try await base.pause(queue: queue, customer: customer)
    }
    public func resume(queue: String?, customer: String?) async throws -> Bool {
        try await base.resume(queue: queue, customer: customer)
    }
    public func pauses() async throws -> [Pause] { try await base.pauses() }
    public func setBacklogQuota(customer: String, quota: Int?) async throws -> Customer {
        try await base.setBacklogQuota(customer: customer, quota: quota)
    }
    public func setCap(queue: String?, customer: String?, maxRunning: Int) async throws -> ConcurrencyCap {
        try await base.setCap(queue: queue, customer: customer, maxRunning: maxRunning)
    }
    public func removeCap(queue: String?, customer: String?) async throws -> Bool {
        try await base.removeCap(queue: queue, customer: customer)
    }
    public func caps() async throws -> [ConcurrencyCap] { try await base.caps() }
    public func running() async throws -> [QueueCounts] { try await base.running() }
    public func rateLimit(_ key: RateLimitKey, policy: RateLimitPolicy) async throws -> RateLimitDecision {
        try await base.rateLimit(key, policy: policy)
    }
    public func apiKeys(_ requests: [KeyLookupRequest], deciding policy: RateLimitPolicy) async throws -> [KeyLookup] {
        try await base.apiKeys(requests, deciding: policy)
    }
    public func pruneRateLimits() async throws -> Int { try await base.pruneRateLimits() }
    public func lead(_ role: String, retry: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws
    {
        try await base.lead(role, retry: retry, body)
    }
    public func leader(of role: String) async throws -> Leadership? { try await base.leader(of: role) }
    public func openSession(
        tokenHash: String, keyID: String, csrfToken: String, policy: SessionPolicy
    )
        async throws -> StoredSession
    {
        try await base.openSession(tokenHash: tokenHash, keyID: keyID, csrfToken: csrfToken, policy: policy)
    }
    public func session(tokenHash: String, policy: SessionPolicy) async throws -> StoredSession? {
        try await base.session(tokenHash: tokenHash, policy: policy)
    }
    public func closeSession(tokenHash: String) async throws { try await base.closeSession(tokenHash: tokenHash) }
    public func createWebhook(_ draft: WebhookEndpointDraft, secret: String) async throws -> WebhookEndpoint {
        try await base.createWebhook(draft, secret: secret)
    }
    public func webhooks(customer: String?) async throws -> [WebhookEndpoint] {
        try await base.webhooks(customer: customer)
    }
    public func webhook(id: String, customer: String?) async throws -> WebhookEndpoint {
        try await base.webhook(id: id, customer: customer)
    }
    public func updateWebhook(
        id: String, customer: String?, _ change: WebhookEndpointChange
    ) async throws -> WebhookEndpoint {
        try await base.updateWebhook(id: id, customer: customer, change)
    }
    public func deleteWebhook(id: String, customer: String?) async throws {
        try await base.deleteWebhook(id: id, customer: customer)
    }
    public func rotateWebhookSecret(id: String, customer: String?, to secret: String) async throws -> WebhookEndpoint {
        try await base.rotateWebhookSecret(id: id, customer: customer, to: secret)
    }
    public func webhookAttempts(endpointID: String, customer: String?, limit: Int) async throws -> [WebhookAttempt] {
        try await base.webhookAttempts(endpointID: endpointID, customer: customer, limit: limit)
    }
    public func webhookCursor() async throws -> EventCursor? { try await base.webhookCursor() }
    public func dispatchWebhooks(
        _ deliveries: [NewJob], from: EventCursor?, to: EventCursor, perCustomer: Int
    ) async throws -> Bool {
        try await base.dispatchWebhooks(deliveries, from: from, to: to, perCustomer: perCustomer)
    }

    public func createSchedule(_ draft: ScheduleDraft) async throws -> Schedule {
        try await base.createSchedule(draft)
    }
    public func schedules(customer: String?) async throws -> [Schedule] { try await base.schedules(customer: customer) }
    public func schedule(customer: String, name: String) async throws -> Schedule {
        try await base.schedule(customer: customer, name: name)
    }
    public func updateSchedule(_ draft: ScheduleDraft) async throws -> Schedule { try await base.updateSchedule(draft) }
    public func deleteSchedule(customer: String, name: String) async throws {
        try await base.deleteSchedule(customer: customer, name: name)
    }
    public func pauseSchedule(customer: String, name: String, paused: Bool) async throws -> Schedule {
        try await base.pauseSchedule(customer: customer, name: name, paused: paused)
    }
    public func dueSchedules(limit: Int) async throws -> (schedules: [Schedule], now: Date) {
        try await base.dueSchedules(limit: limit)
    }
    public func nextScheduleTick() async throws -> Date? { try await base.nextScheduleTick() }

    // MARK: Recorded, schedules

    public func runSchedule(customer: String, name: String) async throws -> Job {
        let job = try await base.runSchedule(customer: customer, name: name)
        metrics.enqueued(job)
        return job
    }
    public func fireSchedules(_ firings: [ScheduleFiring]) async throws -> [Job] {
        let made = try await base.fireSchedules(firings)
        for job in made { metrics.enqueued(job) }
        return made
    }

    // MARK: Recorded, webhooks

    public func recordWebhookAttempt(_ attempt: WebhookAttempt) async throws -> WebhookEndpoint? {
        let endpoint = try await base.recordWebhookAttempt(attempt)
        if let endpoint { metrics.webhookAttempt(customer: endpoint.customer, outcome: attempt.outcome) }
        return endpoint
    }
}
