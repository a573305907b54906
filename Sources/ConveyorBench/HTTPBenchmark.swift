public import ConveyorCore
import ConveyorServer
import Foundation
import Histogram
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// HTTPBenchmark measures `conveyor serve`'s single-job enqueue over HTTP beside a bare
/// Hummingbird route that returns a constant, in one process and one run: both servers listen on
/// loopback, and the same clients (keep-alive connections, each sending its requests one after
/// another) load one, then the other, alternately.
public struct HTTPBenchmark: Sendable {
    public struct Options: Sendable {
        /// Concurrent keep-alive connections.
        public var connections: Int
        /// Requests per measurement, spread over the connections.
        public var requests: Int
        /// Measurements of each target; the median throughput is reported.
        public var runs: Int

        public init(connections: Int = 16, requests: Int = 20_000, runs: Int = 3) {
            self.connections = connections
            self.requests = requests
            self.runs = runs
        }
    }

    /// One target's figures: requests per second of each run, and the latency of every request.
    public struct Result: Sendable {
        public let name: String
        public let runs: [Double]
        public let latency: BenchmarkResult.Latency
        public let failures: Int

        public var median: Double { BenchmarkResult.median(runs) ?? 0 }

        public var line: String {
            let all = runs.map { String(Int($0.rounded())) }.joined(separator: ", ")
            return "\(name) → median \(Int(median.rounded())) requests/s (runs: \(all)); "
                + "latency p50 \(BenchmarkResult.ms(latency.p50)) p99 \(BenchmarkResult.ms(latency.p99)) "
                + "max \(BenchmarkResult.ms(latency.max))" + (failures > 0 ? "; \(failures) failed" : "")
        }
    }

    let store: any JobStore
    let options: Options

    public init(store: any JobStore, options: Options) {
        self.store = store
        self.options = options
    }

    /// Runs both targets `options.runs` times, alternating; returns the bare route's result first.
    public func run() async throws -> [Result] {
        if try await store.customer(named: "bench") == nil {
            _ = try await store.createCustomer("bench")
        }
        let (newKey, secret) = APIKeySecret.generate(customer: "bench")
        let key = try await store.createAPIKey(newKey)
        // Revoked before returning, also on failure: a task started in a defer could be cut off
        // when the command exits right after.
        do {
            let results = try await measure(secret: secret)
            _ = try? await store.revokeAPIKey(id: key.id)
            return results
        } catch {
            _ = try? await store.revokeAPIKey(id: key.id)
            throw error
        }
    }

    private func measure(secret: String) async throws -> [Result] {
        var logger = Logger(label: "conveyor.bench.http")
        logger.logLevel = .warning
        let ports = PortBook()
        let api = ConveyorAPI.application(store: store, host: "127.0.0.1", port: 0, logger: logger) {
            ports.set("api", $0)
        }
        let bareRouter = Router()
        bareRouter.get("/constant") { _, _ in "ok" }
        let bare = Application(
            router: bareRouter, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { ports.set("bare", $0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(services: [api, bare], logger: logger)
        let serving = Task { try await group.run() }
        defer { serving.cancel() }
        let (apiPort, barePort) = try await (ports.wait("api"), ports.wait("bare"))

        let enqueue = Data(#"{"queue":"bench-http","type":"noop","payload":{"n":1}}"#.utf8)
        let targets: [(String, Request)] = [
            (
                "bare route (GET /constant)",
                Request(port: barePort, method: .GET, path: "/constant", headers: [], body: nil)
            ),
            (
                "enqueue (POST /api/queue/bench)",
                Request(
                    port: apiPort, method: .POST, path: "/api/queue/bench",
                    headers: [("Authorization", "Bearer \(secret)"), ("Content-Type", "application/json")],
                    body: enqueue)
            ),
        ]
        var runs = [[Double]](repeating: [], count: targets.count)
        var histograms = targets.map { _ in
            Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        }
        var failures = [Int](repeating: 0, count: targets.count)
        for _ in 0..<options.runs {
            for (index, target) in targets.enumerated() {
                let measured = try await load(target.1)
                runs[index].append(measured.perSecond)
                histograms[index].add(measured.latencies)
                failures[index] += measured.failures
            }
        }
        await group.triggerGracefulShutdown()
        _ = try? await serving.value
        return targets.indices.map { index in
            Result(
                name: "\(targets[index].0), \(options.connections) connections",
                runs: runs[index], latency: .init(histograms[index]), failures: failures[index])
        }
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
    }

    /// Sends `options.requests` requests over `options.connections` keep-alive connections at once.
    private func load(_ request: Request) async throws -> Measurement {
        let perConnection = max(1, options.requests / options.connections)
        let started = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: (Histogram<UInt64>, Int).self) { group in
            for _ in 0..<options.connections {
                group.addTask { try await Self.connection(request, count: perConnection) }
            }
            var merged = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
            var failures = 0
            for try await (histogram, failed) in group {
                merged.add(histogram)
                failures += failed
            }
            return (merged, failures)
        }
        return Measurement(
            perSecond: Double(perConnection * options.connections) / (ContinuousClock.now - started).timeInterval,
            latencies: results.0,
            failures: results.1)
    }

    /// One keep-alive connection sending `count` requests one after another.
    private static func connection(_ request: Request, count: Int) async throws -> (Histogram<UInt64>, Int) {
        let channel = try await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .connect(host: "127.0.0.1", port: request.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path)
        head.headers.add(name: "Host", value: "127.0.0.1")
        for (name, value) in request.headers { head.headers.add(name: name, value: value) }
        let body = request.body.map { ByteBuffer(bytes: $0) }
        if let body { head.headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var failures = 0
        try await channel.executeThenClose { inbound, outbound in
            var responses = inbound.makeAsyncIterator()
            for _ in 0..<count {
                let sent = ContinuousClock.now
                try await outbound.write(.head(head))
                if let body { try await outbound.write(.body(.byteBuffer(body))) }
                try await outbound.write(.end(nil))
                var status: HTTPResponseStatus?
                reading: while let part = try await responses.next() {
                    switch part {
                    case .head(let response): status = response.status
                    case .body: continue
                    case .end: break reading
                    }
                }
                histogram.record(UInt64(max((ContinuousClock.now - sent).timeInterval * 1_000_000, 0)))
                if let code = status?.code, (200..<300).contains(code) { continue }
                failures += 1
            }
        }
        return (histogram, failures)
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
