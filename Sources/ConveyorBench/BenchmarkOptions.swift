/// BenchmarkOptions are the knobs of `conveyor bench`; the defaults are the figures recorded in
/// BENCHMARKS.md.
public struct BenchmarkOptions: Sendable {
    /// Jobs enqueued (single and batched) and drained.
    public var jobs: Int
    /// Jobs per batch in the batched enqueue.
    public var batchSize: Int
    /// Jobs running at once while draining and in the latency run.
    public var concurrency: Int
    /// Jobs per second the latency run enqueues at.
    public var rate: Int
    /// Jobs the latency run enqueues.
    public var latencyJobs: Int
    /// How long the idle run watches an idle worker.
    public var idleDuration: Duration
    /// How many times each throughput scenario runs; the report gives the median.
    public var runs: Int
    /// The queue every scenario uses; nil gives each run a fresh queue (`bench-SCENARIO-RANDOM`).
    /// Named, a queue can be prepared beforehand — say, with a million finished jobs in it.
    public var queue: String?
    /// Customers whose jobs share the queue in `drain-customers`.
    public var customers: Int
    /// Jobs of one customer waiting in `fair-latency`.
    public var backlog: Int
    /// How long each of those jobs runs in `fair-latency` (zero: a no-op, the drain flat out).
    public var backlogJobDuration: Duration
    /// The quota (requests per 60 s) of each key in `rate-limit`.
    public var quota: Int

    /// Creates options; every argument defaults to the documented default.
    public init(
        jobs: Int = 20_000, batchSize: Int = 100, concurrency: Int = 16, rate: Int = 500, latencyJobs: Int = 5_000,
        idleDuration: Duration = .seconds(10), runs: Int = 5, queue: String? = nil, customers: Int = 1000,
        backlog: Int = 1_000_000, backlogJobDuration: Duration = .zero, quota: Int = 100
    ) {
        self.quota = quota
        self.backlogJobDuration = backlogJobDuration
        self.queue = queue
        self.customers = customers
        self.backlog = backlog
        self.jobs = jobs
        self.batchSize = batchSize
        self.concurrency = concurrency
        self.rate = rate
        self.latencyJobs = latencyJobs
        self.idleDuration = idleDuration
        self.runs = runs
    }
}

/// BenchmarkScenario is one measurement. `idle` comes first so that it measures a worker in a
/// fresh process, as `conveyor work` is, not one still settling after a drain.
public enum BenchmarkScenario: String, Sendable, CaseIterable {
    /// CPU used by an idle worker.
    case idle
    /// N round trips to the database (`SELECT 1`), one at a time: the driver's floor under
    /// everything else.
    case roundtrip
    /// The same round trips through PostgresNIO alone (`PostgresClient.query` on the store's
    /// pool): the floor under `roundtrip`. PostgreSQL only.
    case driverRoundtrip = "driver-roundtrip"
    /// N enqueues, one transaction each.
    case enqueue
    /// N enqueues in batches.
    case batch
    /// Draining N pre-enqueued jobs with a no-op handler.
    case drain
    /// The same drain, each handler returning a 100-byte result: what keeping results costs.
    case drainResult = "drain-result"
    /// Enqueue→start latency at a fixed arrival rate.
    case latency
    /// Draining many customers' jobs on one queue.
    case drainCustomers = "drain-customers"
    /// One customer's enqueue→start latency behind another's deep backlog.
    case fairLatency = "fair-latency"
    /// A claim's cost as customers and waiting jobs grow.
    case claimCost = "claim-cost"
    /// The dashboard's pages over `backlog` jobs.
    case dashboard
    /// Rate-limit decisions by `concurrency` clients under a quota of `quota` per 60 s, every one
    /// allowed: what a decision costs at that quota.
    case rateLimit = "rate-limit"

    /// What `conveyor bench` runs when not told: all but the fairness scenarios, which need minutes.
    public static let defaults: [BenchmarkScenario] = [.idle, .roundtrip, .enqueue, .batch, .drain, .latency]
}
