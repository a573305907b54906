public import ConveyorCore
import ConveyorWorker
import Foundation
import Histogram
import Logging
import Synchronization

/// Benchmark measures a store and the worker runtime on it: enqueue throughput (one transaction per
/// job, and batched), drain throughput with a no-op handler, enqueue→start latency at a fixed
/// arrival rate, and the CPU an idle worker burns. Each scenario uses a queue of its own, so a
/// benchmark never touches other jobs in the same database.
public struct Benchmark: Sendable {
    let store: any JobStore
    /// Where the latency run enqueues: the worker's own store, or a second connection to the same
    /// database, so that the wake-up has to cross the database (LISTEN/NOTIFY) as it does between
    /// processes.
    let producer: any JobStore
    /// `SELECT 1` through the store's driver without the store (PostgreSQL's `driverPing`): the
    /// floor of `driver-roundtrip`; nil where the engine has none.
    let driverPing: (@Sendable () async throws -> Void)?
    let options: BenchmarkOptions

    /// Creates a benchmark of `store`; the latency run enqueues through `producer` if given.
    public init(
        store: any JobStore, producer: (any JobStore)? = nil, driverPing: (@Sendable () async throws -> Void)? = nil,
        options: BenchmarkOptions
    ) {
        self.store = store
        self.producer = producer ?? store
        self.driverPing = driverPing
        self.options = options
    }

    /// Runs one scenario (throughput scenarios `options.runs` times, each on a queue of its own).
    public func run(_ scenario: BenchmarkScenario) async throws -> BenchmarkResult {
        func queue() -> String { options.queue ?? "bench-\(scenario.rawValue)-\(UInt32.random(in: 0 ... .max))" }
        switch scenario {
        case .roundtrip:
            return try await repeated(.roundtrip, "\(options.jobs) round trips (SELECT 1), one at a time") {
                try await roundTrips()
            }
        case .driverRoundtrip:
            guard let driverPing else {
                throw JobStoreError.unavailable(reason: "driver-roundtrip needs PostgreSQL (--database postgres://…)")
            }
            return try await repeated(
                .driverRoundtrip, "\(options.jobs) round trips (SELECT 1) by PostgresNIO alone, one at a time"
            ) {
                let start = ContinuousClock.now
                for _ in 0..<options.jobs { try await driverPing() }
                return Double(options.jobs) / (ContinuousClock.now - start).timeInterval
            }
        case .enqueue:
            return try await repeated(.enqueue, "\(options.jobs) jobs, one transaction each") {
                try await enqueueOneByOne(queue())
            }
        case .batch:
            return try await repeated(.batch, "\(options.jobs) jobs, \(options.batchSize) per batch") {
                try await enqueueBatches(queue())
            }
        case .drain:
            return try await repeated(
                .drain, "\(options.jobs) pre-enqueued jobs, no-op handler, concurrency \(options.concurrency)"
            ) { try await drain(queue()) }
        case .drainResult:
            return try await repeated(
                .drainResult,
                "\(options.jobs) pre-enqueued jobs, each handler returning a 100-byte result, concurrency \(options.concurrency)"
            ) { try await drain(queue(), result: Self.hundredByteResult) }
        case .latency: return try await latency(queue())
        case .idle: return try await idle(queue())
        case .drainCustomers:
            return try await repeated(
                .drainCustomers,
                "\(options.customers) customers × \(max(1, options.jobs / options.customers)) jobs on one queue, no-op handler, concurrency \(options.concurrency)"
            ) { try await drainCustomers(queue()) }
        case .fairLatency: return try await fairLatency(queue())
        case .claimCost: return try await claimCost()
        case .dashboard: return try await dashboardPages()
        case .rateLimit:
            return try await repeated(
                .rateLimit,
                "\(options.jobs) decisions, all allowed, \(options.concurrency) clients, quota \(options.quota) per 60 s"
            ) { try await rateLimitDecisions() }
        }
    }

    private func repeated(
        _ scenario: BenchmarkScenario, _ setup: String, _ once: () async throws -> Double
    ) async throws -> BenchmarkResult {
        var runs: [Double] = []
        for _ in 0..<options.runs { runs.append(try await once()) }
        return BenchmarkResult(scenario: scenario, setup: setup, runs: runs, latency: nil, cpuShare: nil)
    }

    func newJob(_ queue: String, _ n: Int) throws -> NewJob {
        try NewJob(customer: "bench", queue: queue, type: "noop", payloadJSON: "{\"n\":\(n)}")
    }

    /// Round trips per second, one after another.
    func roundTrips() async throws -> Double {
        let start = ContinuousClock.now
        for _ in 0..<options.jobs { try await store.ping() }
        return Double(options.jobs) / (ContinuousClock.now - start).timeInterval
    }

    /// Rate-limit decisions per second: `concurrency` clients, each deciding requests one after
    /// another, `jobs` in all — every one allowed, so that quotas compare like for like: a client
    /// spends a key's whole quota (a fresh key each run), then goes on with a fresh key. A key's
    /// window grows to its quota, or to the client's share of `jobs` if that is less.
    func rateLimitDecisions() async throws -> Double {
        let policy = try RateLimitPolicy(requests: options.quota, windowSeconds: 60)
        let run = UInt32.random(in: 0 ... .max)
        let perClient = max(1, options.jobs / options.concurrency)
        let start = ContinuousClock.now
        try await withThrowingDiscardingTaskGroup { group in
            for client in 0..<options.concurrency {
                group.addTask {
                    for n in 0..<perClient {
                        let key = RateLimitKey.client(address: "bench-\(run)-\(client)-\(n / policy.requests)")
                        guard try await store.rateLimit(key, policy: policy).allowed else {
                            throw JobStoreError.unavailable(reason: "a decision within the quota was refused")
                        }
                    }
                }
            }
        }
        return Double(perClient * options.concurrency) / (ContinuousClock.now - start).timeInterval
    }

    /// Jobs per second enqueueing one job per transaction.
    func enqueueOneByOne(_ queue: String) async throws -> Double {
        let start = ContinuousClock.now
        for n in 0..<options.jobs { _ = try await store.enqueue(newJob(queue, n)) }
        return Double(options.jobs) / (ContinuousClock.now - start).timeInterval
    }

    /// Jobs per second enqueueing in batches.
    func enqueueBatches(_ queue: String) async throws -> Double {
        let start = ContinuousClock.now
        try await fill(queue, count: options.jobs)
        return Double(options.jobs) / (ContinuousClock.now - start).timeInterval
    }

    func fill(_ queue: String, count: Int) async throws {
        for start in stride(from: 0, to: count, by: options.batchSize) {
            let batch = try (start..<min(start + options.batchSize, count)).map { try newJob(queue, $0) }
            _ = try await store.enqueue(batch: batch)
        }
    }

    /// A result of 100 bytes, as a small report's location would be.
    static let hundredByteResult = try! JobPayload(
        json: #"{"url":"https://reports.example.com/r/0123456789abcdef.pdf","pages":12,"bytes":48213,"ok":true,"v":1}"#)

    /// Jobs per second draining pre-enqueued jobs with a no-op handler (returning `result`).
    func drain(_ queue: String, result: JobPayload? = nil) async throws -> Double {
        try await fill(queue, count: options.jobs)
        var handlers = JobHandlers()
        handlers.registerFallback { _ in result }
        let elapsed = try await withWorker(queue, handlers: handlers, until: options.jobs) {}
        return Double(options.jobs) / elapsed.timeInterval
    }

    func latency(_ queue: String) async throws -> BenchmarkResult {
        let count = options.latencyJobs
        let arrivals = try await timedArrivals(
            queue, count: count, handlers: JobHandlers(), type: "noop", customer: "bench")
        return BenchmarkResult(
            scenario: .latency, setup: "\(count) jobs at \(options.rate)/s, concurrency \(options.concurrency)",
            runs: [], latency: .init(arrivals.toStart), cpuShare: nil, detail: arrivals.parts)
    }

    /// Enqueues `count` jobs of `type` for `customer` through the producer at `options.rate`, on
    /// a fixed schedule, while a worker with `handlers` runs; returns each one's enqueue→start
    /// latency in microseconds. The worker stops once they (or the jobs `counted` picks) are done.
    func timedArrivals(
        _ queue: String, count: Int, handlers: JobHandlers, type: String, customer: String,
        counting counted: (@Sendable (Job) -> Bool)? = nil
    ) async throws -> Arrivals {
        struct Arrival: Decodable { let n: Int }
        // Each job's three instants: sent (written by the producer just before its enqueue, so
        // always set before job n can start), the call's answer, and the job's start. The
        // latencies are worked out once all ran: a job can start before its producer has read the
        // answer.
        let sentAt = Mutex([ContinuousClock.Instant?](repeating: nil, count: count))
        let answeredAt = Mutex([ContinuousClock.Instant?](repeating: nil, count: count))
        let startedAt = Mutex([ContinuousClock.Instant?](repeating: nil, count: count))
        var handlers = handlers
        handlers.register(type) { (arrival: Arrival, _) in
            let started = ContinuousClock.now
            guard sentAt.withLock({ $0[arrival.n] }) != nil else { return }
            startedAt.withLock { $0[arrival.n] = started }
        }
        let interval = Duration.seconds(1) / options.rate
        let producer = self.producer
        _ = try await withWorker(queue, handlers: handlers, until: count, counting: counted) {
            let start = ContinuousClock.now
            for n in 0..<count {
                // A fixed schedule: a slow enqueue does not push later arrivals back.
                try await Task.sleep(until: start + interval * n, clock: .continuous)
                sentAt.withLock { $0[n] = ContinuousClock.now }
                _ = try await producer.enqueue(newJob(queue, n, customer: customer, type: type))
                answeredAt.withLock { $0[n] = ContinuousClock.now }
            }
        }
        let sent = sentAt.withLock { $0 }
        let answered = answeredAt.withLock { $0 }
        let started = startedAt.withLock { $0 }
        /// Microseconds from each job's `from` to its `to`, where both were taken (never below 0).
        func histogram(_ from: [ContinuousClock.Instant?], _ to: [ContinuousClock.Instant?]) -> Histogram<UInt64> {
            var histogram = Self.latencyHistogram()
            for case (let from?, let to?) in zip(from, to) {
                _ = histogram.record(UInt64(max((to - from).timeInterval * 1_000_000, 0)))
            }
            return histogram
        }
        return Arrivals(
            toStart: histogram(sent, started), enqueueCalls: histogram(sent, answered),
            afterCalls: histogram(answered, started))
    }

    /// What `timedArrivals` measured: enqueue→start, the enqueue calls alone, and from each call's
    /// answer to its job's start (nothing when the job started first).
    struct Arrivals {
        let toStart: Histogram<UInt64>
        let enqueueCalls: Histogram<UInt64>
        let afterCalls: Histogram<UInt64>

        /// The two parts' percentiles, for the report.
        var parts: String {
            let call = BenchmarkResult.Latency(enqueueCalls)
            let after = BenchmarkResult.Latency(afterCalls)
            return
                "of which the enqueue call: p50 \(BenchmarkResult.ms(call.p50)) p99 \(BenchmarkResult.ms(call.p99)); "
                + "from its answer to the start: p50 \(BenchmarkResult.ms(after.p50)) p99 \(BenchmarkResult.ms(after.p99))"
        }
    }

    /// A histogram of microseconds up to ten minutes, 3 significant digits.
    static func latencyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    func idle(_ queue: String) async throws -> BenchmarkResult {
        var handlers = JobHandlers()
        handlers.registerFallback { _ in }
        let duration = options.idleDuration
        let cpu = Mutex(0.0)
        _ = try await withWorker(queue, handlers: handlers, until: 0) {
            let before = processCPUSeconds()
            try await Task.sleep(for: duration)
            cpu.withLock { $0 = processCPUSeconds() - before }
        }
        return BenchmarkResult(
            scenario: .idle, setup: "a worker on an empty queue for \(duration), 1 s poll interval",
            runs: [], latency: nil, cpuShare: cpu.withLock { $0 } / duration.timeInterval)
    }

    /// Runs a worker on `queue` while `work` runs and until `target` jobs have completed; returns
    /// the time from the worker's start to the last completion (of the jobs `counted` picks, if given).
    func withWorker(
        _ queue: String, handlers: JobHandlers, until target: Int,
        counting counted: (@Sendable (Job) -> Bool)? = nil, _ work: @escaping @Sendable () async throws -> Void
    ) async throws -> Duration {
        let completed = Mutex(0)
        let done = Doorbell()
        var logger = Logger(label: "conveyor.bench")
        logger.logLevel = .error
        let worker = try WorkerService(
            store: store, handlers: handlers,
            configuration: WorkerConfiguration(
                queues: [queue: options.concurrency], registryHeartbeatInterval: .seconds(5),
                onEvent: { event in
                    if case .completed(let job) = event, counted?(job) ?? true,
                        completed.withLock({
                            $0 += 1; return $0
                        }) >= target
                    {
                        done.ringAll()
                    }
                }, logger: logger))
        let start = ContinuousClock.now
        let running = Task { try await worker.run() }
        let ticket = done.ticket()
        try await work()
        if target > 0, completed.withLock({ $0 }) < target {
            _ = await done.wait(for: nil, after: ticket, timeout: nil)
        }
        let elapsed = ContinuousClock.now - start
        running.cancel()
        try await running.value
        return elapsed
    }
}

/// CPU time (user + system) this process has used, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
