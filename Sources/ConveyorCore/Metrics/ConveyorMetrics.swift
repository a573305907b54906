public import CoreMetrics
public import Foundation

/// ConveyorMetrics declares every metric Conveyor records — its name, kind and label set, once —
/// and records them through an injected swift-metrics factory (Prometheus in `serve`, a test kit in
/// tests). Each label set is fixed by the method that records it, so a metric's labels never vary
/// (Prometheus refuses a name seen with two label sets). Jobs are labelled by customer and queue:
/// a queue belongs to its customer.
public struct ConveyorMetrics: Sendable {
    /// The metric names, as scraped.
    public enum Name {
        public static let jobsEnqueued = "conveyor_jobs_enqueued_total"
        public static let jobsCompleted = "conveyor_jobs_completed_total"
        /// Failed attempts (each failure, whether the job will retry or is dead).
        public static let jobsFailed = "conveyor_jobs_failed_total"
        public static let jobsDead = "conveyor_jobs_dead_total"
        public static let jobsRescued = "conveyor_jobs_rescued_total"
        public static let jobsCancelled = "conveyor_jobs_cancelled_total"
        public static let jobRunDuration = "conveyor_job_run_duration_seconds"
        public static let jobQueueWait = "conveyor_job_queue_wait_seconds"
        public static let queueDepth = "conveyor_queue_depth"
        public static let queueOldestAge = "conveyor_queue_oldest_available_age_seconds"
        public static let deadLetters = "conveyor_dead_letters"
        public static let liveWorkers = "conveyor_workers_live"
        /// Jobs running now, per customer and queue.
        public static let jobsRunning = "conveyor_jobs_running"
        /// 1 for each pause (`*` for every queue or every customer), 0 once lifted.
        public static let paused = "conveyor_paused"
        public static let httpRequests = "conveyor_http_requests_total"
        public static let httpDuration = "conveyor_http_request_duration_seconds"
        public static let rateLimitDecisions = "conveyor_rate_limit_decisions_total"
        public static let alertsSent = "conveyor_alerts_sent_total"
        public static let alertsFailed = "conveyor_alerts_failed_total"
        /// Webhook delivery attempts, per customer and outcome (`WebhookOutcome`).
        public static let webhookAttempts = "conveyor_webhook_attempts_total"

        /// The duration histograms, for a backend that needs buckets per metric.
        public static let durations = [jobRunDuration, jobQueueWait, httpDuration]
    }

    public let factory: any MetricsFactory

    /// Records through `factory` (by default the process's bootstrapped one).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    // MARK: Jobs

    public func enqueued(_ job: Job) { count(Name.jobsEnqueued, job) }

    /// A worker took the job: how long it waited since it was ready.
    public func claimed(_ job: Job, at now: Date) {
        time(Name.jobQueueWait, job, seconds: now.timeIntervalSince(job.runAt))
    }

    public func completed(_ job: Job, at now: Date) {
        count(Name.jobsCompleted, job)
        ranUntil(now, job)
    }

    /// An attempt failed; the job is now retryable or dead.
    public func failed(_ job: Job, at now: Date) {
        count(Name.jobsFailed, job)
        if job.state == .dead { count(Name.jobsDead, job) }
        ranUntil(now, job)
    }

    /// The job's worker died; the job was given back (or, out of attempts, is dead).
    public func rescued(_ job: Job) {
        count(Name.jobsRescued, job)
        if job.state == .dead { count(Name.jobsDead, job) }
    }

    public func cancelled(_ job: Job) { count(Name.jobsCancelled, job) }

    // MARK: Queues and workers, as last measured

    /// Sets the queue gauges to `backlogs`; queues seen before and now empty read 0.
    public func backlogs(_ backlogs: [QueueBacklog], at now: Date, previously known: Set<QueueName>) -> Set<QueueName> {
        var seen = Set<QueueName>()
        for backlog in backlogs {
            let name = QueueName(customer: backlog.customer, queue: backlog.queue)
            seen.insert(name)
            gauge(Name.queueDepth, name).record(backlog.ready)
            gauge(Name.queueOldestAge, name).record(max(0, now.timeIntervalSince(backlog.oldestReadySince)))
        }
        for name in known.subtracting(seen) {
            gauge(Name.queueDepth, name).record(0)
            gauge(Name.queueOldestAge, name).record(0)
        }
        return known.union(seen)
    }

    public func deadLetters(_ count: Int) { Gauge(label: Name.deadLetters, factory: factory).record(count) }

    /// Records the jobs running per queue, and 0 for queues that had some; returns the queues seen so far.
    public func running(_ running: [QueueCounts], previously known: Set<QueueName>) -> Set<QueueName> {
        var seen = Set<QueueName>()
        for queue in running {
            let name = QueueName(customer: queue.customer, queue: queue.queue)
            seen.insert(name)
            gauge(Name.jobsRunning, name).record(queue.counts[.running] ?? 0)
        }
        for name in known.subtracting(seen) { gauge(Name.jobsRunning, name).record(0) }
        return known.union(seen)
    }

    /// Records what is paused, and 0 for what no longer is; returns every target seen so far.
    public func pauses(_ pauses: [Pause], previously known: Set<QueueName>) -> Set<QueueName> {
        let seen = Set(pauses.map { QueueName(customer: $0.customer ?? "*", queue: $0.queue ?? "*") })
        for name in seen { gauge(Name.paused, name).record(1) }
        for name in known.subtracting(seen) { gauge(Name.paused, name).record(0) }
        return known.union(seen)
    }

    public func liveWorkers(_ count: Int) { Gauge(label: Name.liveWorkers, factory: factory).record(count) }

    // MARK: HTTP, rate limits, alerts

    /// One answered request: `route` is the matched route's pattern (`/api/jobs/{id}`), never the raw
    /// path, so ids do not become label values.
    public func httpRequest(route: String, method: String, status: Int, duration: Duration) {
        let dimensions = [("route", route), ("method", method), ("status", String(status))]
        Counter(label: Name.httpRequests, dimensions: dimensions, factory: factory).increment()
        Timer(label: Name.httpDuration, dimensions: dimensions, factory: factory).recordNanoseconds(
            Int64(duration.timeInterval * 1e9))
    }

    /// The counter of one kind of rate-limit decision (`allowed` or `limited`) in one mode (`store`
    /// or `fallback`).
    public func rateLimitDecisions(decision: String, mode: String) -> Counter {
        Counter(label: Name.rateLimitDecisions, dimensions: [("decision", decision), ("mode", mode)], factory: factory)
    }

    /// An alert delivered, or given up on.
    public func alert(rule: String, delivered: Bool) {
        Counter(label: delivered ? Name.alertsSent : Name.alertsFailed, dimensions: [("rule", rule)], factory: factory)
            .increment()
    }

    /// A webhook delivery attempt to one of `customer`'s endpoints.
    public func webhookAttempt(customer: String, outcome: WebhookOutcome) {
        Counter(
            label: Name.webhookAttempts, dimensions: [("customer", customer), ("outcome", outcome.rawValue)],
            factory: factory
        ).increment()
    }

    // MARK: Plumbing

    private func count(_ name: String, _ job: Job) {
        Counter(label: name, dimensions: Self.dimensions(job), factory: factory).increment()
    }

    private func ranUntil(_ now: Date, _ job: Job) {
        guard let started = job.attemptedAt else { return }
        time(Name.jobRunDuration, job, seconds: now.timeIntervalSince(started))
    }

    private func time(_ name: String, _ job: Job, seconds: TimeInterval) {
        Timer(label: name, dimensions: Self.dimensions(job), factory: factory).recordNanoseconds(
            Int64(max(0, seconds) * 1e9))
    }

    private func gauge(_ name: String, _ queue: QueueName) -> Gauge {
        Gauge(label: name, dimensions: [("customer", queue.customer), ("queue", queue.queue)], factory: factory)
    }

    private static func dimensions(_ job: Job) -> [(String, String)] {
        [("customer", job.customer), ("queue", job.queue)]
    }
}

/// QueueName is a queue as metrics label it: its customer and its name.
public struct QueueName: Sendable, Hashable {
    public let customer: String
    public let queue: String

    public init(customer: String, queue: String) {
        self.customer = customer
        self.queue = queue
    }
}
