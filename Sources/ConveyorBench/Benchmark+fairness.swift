import ConveyorCore
import ConveyorWorker
import Foundation

/// The scenarios of fair claiming: many customers on one queue, one customer's deep backlog under
/// another's arrivals, and what a claim costs as customers and waiting jobs grow.
extension Benchmark {
    func newJob(_ queue: String, _ n: Int, customer: String, type: String = "noop") throws -> NewJob {
        try NewJob(customer: customer, queue: queue, type: type, payloadJSON: "{\"n\":\(n)}")
    }

    /// Enqueues `perCustomer` jobs for each of `customers` customers (`c0`, `c1`, …), each
    /// customer's jobs together, in batches.
    func fill(_ queue: String, customers: Int, perCustomer: Int, type: String = "noop") async throws {
        let total = customers * perCustomer
        for start in stride(from: 0, to: total, by: options.batchSize) {
            let batch = try (start..<min(start + options.batchSize, total)).map { n in
                try newJob(queue, n, customer: "c\(n / perCustomer)", type: type)
            }
            _ = try await store.enqueue(batch: batch)
        }
    }

    /// Jobs per second draining `options.customers` customers' jobs, `jobs / customers` each, on
    /// one queue.
    func drainCustomers(_ queue: String) async throws -> Double {
        let perCustomer = max(1, options.jobs / options.customers)
        try await fill(queue, customers: options.customers, perCustomer: perCustomer)
        var handlers = JobHandlers()
        handlers.registerFallback { _ in }
        let total = perCustomer * options.customers
        let elapsed = try await withWorker(queue, handlers: handlers, until: total) {}
        return Double(total) / elapsed.timeInterval
    }

    /// With `options.backlog` jobs of customer `hog` waiting and a worker draining them (each
    /// running `options.backlogJobDuration`), customer `small`'s enqueue→start latency at
    /// `options.rate` arrivals a second.
    func fairLatency(_ queue: String) async throws -> BenchmarkResult {
        let count = options.latencyJobs
        for start in stride(from: 0, to: options.backlog, by: 1000) {
            let batch = try (start..<min(start + 1000, options.backlog)).map { try newJob(queue, $0, customer: "hog") }
            _ = try await store.enqueue(batch: batch)
        }
        var handlers = JobHandlers()
        let work = options.backlogJobDuration
        handlers.registerFallback { _ in if work > .zero { try await Task.sleep(for: work) } }
        let arrivals = try await timedArrivals(
            queue, count: count, handlers: handlers, type: "arrival", customer: "small",
            counting: { $0.customer == "small" })
        return BenchmarkResult(
            scenario: .fairLatency,
            setup:
                "\(options.backlog) jobs of one customer waiting and draining (\(work > .zero ? "each running \(Int(work.timeInterval * 1000)) ms" : "no-op")); another's \(count) jobs at \(options.rate)/s, concurrency \(options.concurrency)",
            runs: [], latency: .init(arrivals.toStart), cpuShare: nil, detail: arrivals.parts)
    }

    /// The median and p99 time of a claim as the number of customers and of waiting jobs grows:
    /// one customer against 10,000, with 20,000 and 200,000 jobs waiting, claims of 10 and 100.
    func claimCost() async throws -> BenchmarkResult {
        var lines: [String] = []
        for (customers, waiting) in [(1, 20_000), (10_000, 20_000), (1, 200_000), (10_000, 200_000)] {
            let queue = "bench-claim-cost-\(UInt32.random(in: 0 ... .max))"
            try await fill(queue, customers: customers, perCustomer: waiting / customers)
            for limit in [10, 100] {
                var times: [Double] = []
                var taken = 0
                for _ in 0..<100 {
                    let start = ContinuousClock.now
                    let jobs = try await store.claim(ClaimRequest(queues: [queue], limit: limit, lease: .seconds(600)))
                    times.append((ContinuousClock.now - start).timeInterval * 1_000_000)
                    // A PostgreSQL claim comes back short when its few candidates hold fewer jobs
                    // than their parts (a job or two per customer); it is never empty here.
                    precondition(!jobs.isEmpty, "a claim of \(limit) took nothing")
                    taken += jobs.count
                }
                times.sort()
                lines.append(
                    "\(customers) customers, \(waiting) waiting, claims of \(limit) (\(taken / 100) taken on average): median \(Int(times[50])) µs, p99 \(Int(times[98])) µs"
                )
            }
        }
        return BenchmarkResult(
            scenario: .claimCost, setup: "100 claims each, one at a time", runs: [], latency: nil, cpuShare: nil,
            detail: lines.joined(separator: "; "))
    }
}
