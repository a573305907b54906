public import ConveyorCore
import ConveyorServer
import Foundation
import Histogram
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// HTTPBenchmark measures `conveyor serve`'s single-job enqueue over HTTP beside two floors, in one
/// process and one run: a bare Hummingbird route that returns a constant, and a bare insert
/// (`FloorRoutes`: the same body decoded and the job inserted with one statement through the
/// same driver, no authentication or limits). Every server listens on loopback, and the same
/// clients (keep-alive connections, each sending its requests one after another) load one target,
/// then the next, alternately.
public struct HTTPBenchmark: Sendable {
    public struct Options: Sendable {
        /// Concurrent keep-alive connections.
        public var connections: Int
        /// Requests per measurement, spread over the connections.
        public var requests: Int
        /// Measurements of each target; the median throughput is reported.
        public var runs: Int
        /// Requests per second offered in all, on a fixed schedule (latency then counts from when a
        /// request was due, so a slow answer cannot hide the queue behind it); nil sends each
        /// request as soon as the previous one is answered, as fast as the server goes.
        public var rate: Int?
        /// Jobs each lease-drain run drains, over the HTTP lease protocol and in process, in turn;
        /// 0 leaves both out.
        public var leaseDrain: Int

        public init(
            connections: Int = 16, requests: Int = 20_000, runs: Int = 3, rate: Int? = nil, leaseDrain: Int = 0
        ) {
            self.connections = connections
            self.requests = requests
            self.runs = runs
            self.rate = rate
            self.leaseDrain = leaseDrain
        }
    }

    /// One target's figures: requests per second of each run, and the latency of every request.
    public struct Result: Sendable {
        public let name: String
        public let runs: [Double]
        /// Each request's latency; nil for the drains, which count jobs.
        public let latency: BenchmarkResult.Latency?
        public let failures: Int

        public var median: Double { BenchmarkResult.median(runs) ?? 0 }

        public var line: String {
            let all = runs.map { String(Int($0.rounded())) }.joined(separator: ", ")
            guard let latency else { return "\(name) → median \(Int(median.rounded())) jobs/s (runs: \(all))" }
            return "\(name) → median \(Int(median.rounded())) requests/s (runs: \(all)); "
                + "latency p50 \(BenchmarkResult.ms(latency.p50)) p99 \(BenchmarkResult.ms(latency.p99)) "
                + "max \(BenchmarkResult.ms(latency.max))" + (failures > 0 ? "; \(failures) failed" : "")
        }
    }

    let store: any JobStore
    /// One job's row written with one statement through the store's driver (the engine's
    /// `bareInsert`): the bare insert target.
    let bareInsert: @Sendable (Job) async throws -> Void
    let options: Options

    public init(store: any JobStore, bareInsert: @escaping @Sendable (Job) async throws -> Void, options: Options) {
        self.store = store
        self.bareInsert = bareInsert
        self.options = options
    }

    /// The policy of the bench's customers: generous enough never to refuse a request of the run,
    /// so the limited target measures the decision's cost, not refusals. Each connection is a
    /// customer of its own, as in a service with many tenants.
    static let customerPolicy = try! RateLimitPolicy(requests: RateLimitPolicy.maximumRequests, windowSeconds: 1)

    /// Runs the four targets `options.runs` times, alternating: the bare route, the bare insert,
    /// enqueue, and enqueue behind the rate limiter; then both enqueues at once, half the
    /// connections each. Returns the six results in that order.
    public func run() async throws -> [Result] {
        var secrets: [String] = []
        var keyIDs: [String] = []
        // Revoked before returning, also on failure: a task started in a defer could be cut off
        // when the command exits right after.
        do {
            for index in 0..<options.connections {
                let customer = Self.customer(index)
                if try await store.customer(named: customer) == nil {
                    _ = try await store.createCustomer(customer)
                }
                _ = try await store.setRateLimit(customer: customer, policy: Self.customerPolicy)
                let (newKey, secret) = APIKeySecret.generate(customer: customer)
                keyIDs.append(try await store.createAPIKey(newKey).id)
                secrets.append(secret)
            }
            let results = try await measure(secrets: secrets)
            for id in keyIDs { _ = try? await store.revokeAPIKey(id: id) }
            return results
        } catch {
            for id in keyIDs { _ = try? await store.revokeAPIKey(id: id) }
            throw error
        }
    }

    static func customer(_ connection: Int) -> String { "bench-http-\(connection)" }

    /// The lines that compare the targets of `run()`: enqueue against the floors, and what the rate
    /// limiter adds to an enqueue's latency.
    public static func comparisons(_ results: [Result]) -> [String] {
        guard results.count >= 6 else { return [] }
        let (bare, insert, enqueue, limited) = (results[0], results[1], results[2], results[3])
        func percent(_ part: Result, _ whole: Result) -> String {
            "\(Int((part.median / whole.median * 100).rounded()))%"
        }
        func added(_ with: Result, _ without: Result, _ percentile: KeyPath<BenchmarkResult.Latency, UInt64>) -> String
        {
            guard let with = with.latency, let without = without.latency else { return "?" }
            let microseconds = Int64(with[keyPath: percentile]) - Int64(without[keyPath: percentile])
            return String(format: "%+.2f ms", Double(microseconds) / 1000)
        }
        return [
            "enqueue / bare insert: \(percent(enqueue, insert)); behind the rate limiter / bare insert: "
                + "\(percent(limited, insert)); bare insert / bare route: \(percent(insert, bare))",
            "rate limiter, enqueue latency with it minus without (separate runs): p50 \(added(limited, enqueue, \.p50)), "
                + "p99 \(added(limited, enqueue, \.p99)); "
                + "throughput \(percent(limited, enqueue)) of enqueue without it",
            "rate limiter, enqueue latency with it minus without (paired, at the same time): "
                + "p50 \(added(results[5], results[4], \.p50)), p99 \(added(results[5], results[4], \.p99)); "
                + "throughput \(percent(results[5], results[4])) of enqueue without it",
        ] + (results.count == 8 ? leaseDrain(results[7], inProcess: results[6], insert: insert) : [])
    }

    /// The lease drain against the in-process drain, and its requests — a claim per 10 jobs and a
    /// completion per job, 11 per 10 jobs — against the bare insert's: the same stack doing one
    /// statement per request, the most a protocol of a request per job could reach.
    private static func leaseDrain(_ drain: Result, inProcess: Result, insert: Result) -> [String] {
        let requests = drain.median * 1.1
        return [
            "lease drain over HTTP / in-process drain: \(Int((drain.median / inProcess.median * 100).rounded()))%",
            "lease drain's requests (11 per 10 jobs, \(Int(requests.rounded()))/s) / bare insert's requests: "
                + "\(Int((requests / insert.median * 100).rounded()))%",
        ]
    }

    private func measure(secrets: [String]) async throws -> [Result] {
        var logger = Logger(label: "conveyor.bench.http")
        logger.logLevel = .warning
        let ports = PortBook()
        let api = try ConveyorAPI.application(store: store, host: "127.0.0.1", port: 0, logger: logger) {
            ports.set("api", $0)
        }
        let limiter = RateLimiter(store: store, logger: logger)
        let limited = try ConveyorAPI.application(
            store: store, host: "127.0.0.1", port: 0, rateLimiter: limiter, logger: logger
        ) { ports.set("limited", $0) }
        let floors = Application(
            router: FloorRoutes.router(insert: bareInsert),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { ports.set("floors", $0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(services: [api, limited, limiter, floors], logger: logger)
        let serving = Task { try await group.run() }
        defer { serving.cancel() }
        let (apiPort, limitedPort, floorsPort) = try await (
            ports.wait("api"), ports.wait("limited"), ports.wait("floors")
        )

        let enqueue = Data(#"{"queue":"bench-http","type":"noop","payload":{"n":1}}"#.utf8)
        func enqueues(_ port: Int) -> [Request] {
            secrets.indices.map { index in
                Request(
                    port: port, method: .POST, path: "/api/queue/\(Self.customer(index))",
                    headers: [("Authorization", "Bearer \(secrets[index])"), ("Content-Type", "application/json")],
                    body: enqueue)
            }
        }
        let inserts = secrets.indices.map { index in
            Request(
                port: floorsPort, method: .POST, path: "/bare/\(Self.customer(index))",
                headers: [("Content-Type", "application/json")], body: enqueue)
        }
        let targets: [(String, [Request])] = [
            (
                "bare route (GET /constant)",
                Array(
                    repeating: Request(port: floorsPort, method: .GET, path: "/constant", headers: [], body: nil),
                    count: options.connections)
            ),
            ("bare insert (POST /bare/{customer}, one INSERT)", inserts),
            ("enqueue (POST /api/queue/{customer})", enqueues(apiPort)),
            ("enqueue behind the rate limiter", enqueues(limitedPort)),
        ]
        var runs = [[Double]](repeating: [], count: targets.count)
        var histograms = targets.map { _ in
            Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        }
        var failures = [Int](repeating: 0, count: targets.count)
        for run in 0..<options.runs {
            // The two enqueue targets take turns going first: a target that always follows
            // another meets a larger table and a warmer (or busier) machine.
            var order = Array(targets.indices)
            if run.isMultiple(of: 2) == false { order.swapAt(2, 3) }
            for index in order {
                let target = targets[index]
                let measured = try await load(target.1)
                runs[index].append(measured.perSecond)
                histograms[index].add(measured.latencies)
                failures[index] += measured.failures
            }
        }
        // Paired: half the connections enqueue without the limiter and half behind it, at the same
        // time, so both halves meet the same machine — separate runs differ by more than the
        // limiter adds.
        let both = enqueues(apiPort).enumerated().map { index, request in
            index.isMultiple(of: 2) ? request : enqueues(limitedPort)[index]
        }
        var pairedRuns: [[Double]] = [[], []]
        var paired = [0, 1].map { _ in
            Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        }
        var pairedFailures = [0, 0]
        for _ in 0..<options.runs {
            let measured = try await load(both)
            for half in 0..<2 {
                let connections = measured.connections.enumerated().filter { $0.offset % 2 == half }.map(\.element)
                for connection in connections {
                    paired[half].add(connection.latencies)
                    pairedFailures[half] += connection.failures
                }
                // Each half's own pace: the sum of its connections' (a connection of the faster
                // half that is done leaves the other half a little less contention at the end).
                pairedRuns[half].append(connections.reduce(0) { $0 + $1.perSecond })
            }
        }
        var drains: [[Double]] = [[], []]
        if options.leaseDrain > 0 {
            let inProcess = Benchmark(
                store: store, options: BenchmarkOptions(jobs: options.leaseDrain, concurrency: 10, runs: 1))
            let overHTTP = LeaseDrainBenchmark(
                store: store, port: apiPort, customer: Self.customer(0), secret: secrets[0], clients: 8)
            for _ in 0..<options.runs {
                drains[0].append(try await inProcess.run(.drain).runs[0])
                drains[1].append(try await overHTTP.run(count: options.leaseDrain))
            }
        }
        await group.triggerGracefulShutdown()
        _ = try? await serving.value
        let drainResults =
            options.leaseDrain > 0
            ? [
                Result(
                    name: "in-process drain (WorkerService, concurrency 10), \(options.leaseDrain) jobs",
                    runs: drains[0], latency: nil, failures: 0),
                Result(
                    name: "lease drain over HTTP (claim 10, complete each, 8 clients), \(options.leaseDrain) jobs",
                    runs: drains[1], latency: nil, failures: 0),
            ] : []
        return targets.indices.map { index in
            Result(
                name: "\(targets[index].0), \(options.connections) connections",
                runs: runs[index], latency: .init(histograms[index]), failures: failures[index])
        } + [
            Result(
                name: "paired: enqueue, \(options.connections / 2) connections", runs: pairedRuns[0],
                latency: .init(paired[0]), failures: pairedFailures[0]),
            Result(
                name:
                    "paired: behind the rate limiter, \(options.connections - options.connections / 2) connections at the same time",
                runs: pairedRuns[1], latency: .init(paired[1]), failures: pairedFailures[1]),
        ] + drainResults
    }

    struct Request: Sendable {
        let port: Int
        let method: HTTPMethod
        let path: String
        let headers: [(String, String)]
        let body: Data?
    }

    struct Measurement {
        let perSecond: Double
        let latencies: Histogram<UInt64>
        let failures: Int
        /// Each connection's latencies, failures and requests per second, in the order of the
        /// requests given.
        let connections: [Connection]

        struct Connection {
            let latencies: Histogram<UInt64>
            let failures: Int
            let perSecond: Double
        }
    }

    /// Sends `options.requests` requests over `options.connections` keep-alive connections at once,
    /// connection N sending `requests[N]`.
    private func load(_ requests: [Request]) async throws -> Measurement {
        let perConnection = max(1, options.requests / options.connections)
        let started = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: (Int, Measurement.Connection).self) { group in
            // Each connection's share of the rate, its schedule offset so the connections interleave.
            let interval = options.rate.map { Duration.seconds(Double(options.connections) / Double($0)) }
            for (index, request) in requests.enumerated() {
                let offset = interval.map { $0 * (Double(index) / Double(options.connections)) }
                group.addTask {
                    let began = ContinuousClock.now
                    let (histogram, failed) = try await Self.connection(
                        request, count: perConnection, interval: interval, offset: offset ?? .zero)
                    let perSecond = Double(perConnection) / (ContinuousClock.now - began).timeInterval
                    return (index, Measurement.Connection(latencies: histogram, failures: failed, perSecond: perSecond))
                }
            }
            var connections = [Measurement.Connection?](repeating: nil, count: requests.count)
            for try await (index, connection) in group { connections[index] = connection }
            return connections.compactMap { $0 }
        }
        var merged = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        for connection in results { merged.add(connection.latencies) }
        return Measurement(
            perSecond: Double(perConnection * options.connections) / (ContinuousClock.now - started).timeInterval,
            latencies: merged, failures: results.reduce(0) { $0 + $1.failures }, connections: results)
    }

    /// One keep-alive connection sending `count` requests one after another — each when the
    /// previous is answered, or with `interval` on a fixed schedule.
    private static func connection(
        _ request: Request, count: Int, interval: Duration?, offset: Duration
    ) async throws -> (Histogram<UInt64>, Int) {
        let body = request.body.map { ByteBuffer(bytes: $0) }
        return try await HTTPConnection(port: request.port).use { send in
            var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
            var failures = 0
            let start = ContinuousClock.now + offset
            for n in 0..<count {
                var sent = ContinuousClock.now
                if let interval {
                    sent = start + interval * n
                    try await Task.sleep(until: sent, clock: .continuous)
                }
                let (status, _) = try await send(request.method, request.path, body)
                histogram.record(UInt64(max((ContinuousClock.now - sent).timeInterval * 1_000_000, 0)))
                if !(200..<300).contains(status.code) { failures += 1 }
            }
            return (histogram, failures)
        } headers: {
            request.headers
        }
    }
}

/// PortBook hands the ports the servers bound to from their start-up callbacks to the benchmark.
final class PortBook: Sendable {
    private let bell = Doorbell()
    private let ports = Mutex<[String: Int]>([:])

    func set(_ name: String, _ port: Int) {
        ports.withLock { $0[name] = port }
        bell.ring([name])
    }

    func wait(_ name: String) async throws -> Int {
        while true {
            let ticket = bell.ticket()
            if let port = ports.withLock({ $0[name] }) { return port }
            guard await bell.wait(for: [name], after: ticket, timeout: .seconds(30)) else {
                throw JobStoreError.unavailable(reason: "the \(name) server did not start listening")
            }
        }
    }
}
