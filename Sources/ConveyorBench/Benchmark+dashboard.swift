import ConveyorCore
import ConveyorServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The dashboard's pages over a big database: `options.backlog` jobs (a million by default) of
/// 100 customers on 4 queues, half of them completed and 200 dead, each page asked 20 times over real
/// HTTP with the live snapshot read anew every time (no second's reuse), signed in as an admin.
extension Benchmark {
    func dashboardPages() async throws -> BenchmarkResult {
        let queues = (0..<4).map { "bench-dashboard-\($0)-\(UInt32.random(in: 0 ... .max))" }
        for start in stride(from: 0, to: options.backlog, by: options.batchSize) {
            let batch = try (start..<min(start + options.batchSize, options.backlog)).map { n in
                try newJob(queues[n % 4], n, customer: "c\(n % 100)")
            }
            _ = try await store.enqueue(batch: batch)
        }
        // Half of them done, as in a table that keeps completed jobs for retention, and 200 dead:
        // claimed and settled in batches of a thousand.
        var finished = 0
        while finished < options.backlog / 2 {
            let claimed = try await store.claim(ClaimRequest(queues: queues, limit: 1000, lease: .seconds(600)))
            guard !claimed.isEmpty else { break }
            let leases = claimed.compactMap(\.lease)
            if finished == 0 {
                for lease in leases.prefix(200) {
                    _ = try await store.fail(lease, message: "bench: failed for good", retryable: false)
                }
                _ = try await store.complete(batch: leases.dropFirst(200).map { Completion($0) })
            } else {
                _ = try await store.complete(batch: leases.map { Completion($0) })
            }
            finished += leases.count
        }
        let (key, secret) = APIKeySecret.generate(customer: nil)
        _ = try await store.createAPIKey(key)
        defer { Task { [store] in _ = try? await store.revokeAPIKey(id: key.id) } }
        let sample = try await store.list(JobQuery(limit: 1)).jobs.first?.id.description ?? ""

        var logger = Logger(label: "conveyor.bench.dashboard")
        logger.logLevel = .error
        let dashboard = DashboardRoutes(store: store, health: nil, readingInterval: .zero)
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let application = try ConveyorAPI.application(
            store: store, host: "127.0.0.1", port: 0, dashboard: dashboard, logger: logger
        ) { port in
            found.yield(port)
            found.finish()
        }
        let group = ServiceGroup(services: [application], logger: logger)
        let serving = Task { try await group.run() }
        defer { serving.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchmarkFailure("the dashboard did not start") }
        let client = PageClient(base: URL(string: "http://127.0.0.1:\(port)")!)
        try await client.signIn(secret)

        var lines: [String] = []
        for path in [
            "/", "/live/overview", "/queues", "/live/queues", "/jobs", "/jobs?state=dead",
            "/jobs?queue=\(queues[0])&customer=c7",
            "/jobs?error=nothing-has-this", "/jobs/\(sample)", "/dead-letters", "/workers", "/customers",
        ] {
            _ = try await client.get(path)
            var times: [Double] = []
            for _ in 0..<20 {
                let start = ContinuousClock.now
                let status = try await client.get(path)
                times.append((ContinuousClock.now - start).timeInterval * 1000)
                guard status == 200 else { throw BenchmarkFailure("\(path) answered \(status)") }
            }
            times.sort()
            lines.append(
                "\(path): median \(String(format: "%.1f", times[10])) ms, max \(String(format: "%.1f", times[19])) ms")
        }
        // What each page is answered from: the snapshot, read in the background at most once a
        // second (and at most a fifth of the time).
        var readings: [Double] = []
        for _ in 0..<10 { readings.append(try await dashboard.timeOneReading().timeInterval * 1000) }
        readings.sort()
        lines.append(
            "one snapshot reading (counts, backlogs, throughput, workers…): median \(String(format: "%.1f", readings[5])) ms, max \(String(format: "%.1f", readings[9])) ms"
        )
        // Its parts apart, and beside them what the counts cost before they kept to the live jobs
        // (counting every job, as `conveyor jobs` does). Every job here finished in the last few
        // minutes, so the throughput of the last two minutes holds all of them.
        let now = Date()
        let store = self.store
        for (name, part) in [
            ("live counts (JobQueries.liveCounts)", { _ = try await store.liveCounts() }),
            ("backlogs (HealthReadings.backlogs)", { _ = try await store.backlogs() }),
            (
                "throughput of the last two minutes",
                { _ = try await store.throughput(since: now.addingTimeInterval(-120)) }
            ),
            ("counting every job instead (JobQueries.counts)", { _ = try await store.counts(customer: nil) }),
        ] as [(String, () async throws -> Void)] {
            var times: [Double] = []
            for _ in 0..<5 {
                let start = ContinuousClock.now
                try await part()
                times.append((ContinuousClock.now - start).timeInterval * 1000)
            }
            times.sort()
            lines.append(
                "\(name): median \(String(format: "%.1f", times[2])) ms, max \(String(format: "%.1f", times[4])) ms")
        }
        await group.triggerGracefulShutdown()
        _ = try? await serving.value
        return BenchmarkResult(
            scenario: .dashboard,
            setup:
                "\(options.backlog) jobs of 100 customers on 4 queues (half completed, 200 dead, the rest waiting), 20 requests a page",
            runs: [], latency: nil, cpuShare: nil, detail: lines.joined(separator: "; "))
    }
}

/// PageClient asks for pages as a signed-in browser: one session cookie, redirects not followed.
final class PageClient: NSObject, URLSessionTaskDelegate, Sendable {
    let base: URL
    nonisolated(unsafe) private var cookie: String?
    nonisolated(unsafe) private var session: URLSession!

    init(base: URL) {
        self.base = base
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
    }

    func signIn(_ key: String) async throws {
        var request = URLRequest(url: base.appendingPathComponent("sign-in"))
        request.httpMethod = "POST"
        request.httpBody = Data("key=\(key)".utf8)
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let (_, response) = try await session.data(for: request)
        guard let header = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Set-Cookie") else {
            throw BenchmarkFailure("signing in to the dashboard failed")
        }
        cookie = header.split(separator: ";").first.map(String.init)
    }

    func get(_ path: String) async throws -> Int {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!)
        request.setValue(cookie, forHTTPHeaderField: "Cookie")
        let (_, response) = try await session.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) { completionHandler(nil) }
}

/// BenchmarkFailure stops a scenario that cannot measure what it should.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
