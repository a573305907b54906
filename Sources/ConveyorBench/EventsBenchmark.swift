public import ConveyorCore
import ConveyorServer
import ConveyorWorker
import Foundation
import Histogram
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// EventsBenchmark measures job events reaching many SSE subscribers while a worker drains beside
/// them, in one process on loopback: `subscribers` customers, each with a stream of its own
/// (`GET /api/queue/{customer}/events`), their jobs spread evenly; the drain's throughput without
/// any stream open and with all of them, in turn, and each event's delivery time — from the time
/// the store stamped it (just before its commit) to its arrival at the subscriber.
public struct EventsBenchmark: Sendable {
    let store: any JobStore
    let workerStore: any JobStore
    let options: BenchmarkOptions
    let subscribers: Int
    let rate: Int?

    /// The API serves the streams from `store`; the worker drains through `workerStore` — the same
    /// store (one node), or another on the same database (another node: its events reach the API
    /// only through the database). With a `rate`, the jobs are enqueued at that many a second
    /// while the worker drains them (a steady load); without, they are enqueued first and drained
    /// flat out.
    public init(
        store: any JobStore, workerStore: (any JobStore)? = nil, options: BenchmarkOptions, subscribers: Int,
        rate: Int? = nil
    ) {
        self.store = store
        self.workerStore = workerStore ?? store
        self.options = options
        self.subscribers = subscribers
        self.rate = rate
    }

    /// The lines of the report.
    public func run() async throws -> [String] {
        var logger = Logger(label: "conveyor.bench.events")
        logger.logLevel = .warning
        let ports = PortBook()
        // Each stream holds a connection: room for all of them and the bench's own calls.
        let api = try ConveyorAPI.application(
            store: store, host: "127.0.0.1", port: 0,
            listener: ListenerConfiguration(maximumConnections: subscribers + 64), logger: logger
        ) { ports.set("api", $0) }
        let group = ServiceGroup(services: [api], logger: logger)
        let serving = Task { try await group.run() }
        defer { serving.cancel() }
        let port = try await ports.wait("api")
        var keys: [String] = []
        for index in 0..<subscribers {
            let customer = "c\(index)"
            if try await store.customer(named: customer) == nil { _ = try await store.createCustomer(customer) }
            let (key, secret) = APIKeySecret.generate(customer: customer)
            _ = try await store.createAPIKey(key)
            keys.append(secret)
        }
        let bench = Benchmark(store: workerStore, options: options)
        let perCustomer = max(1, options.jobs / subscribers)
        let total = perCustomer * subscribers
        var lines: [String] = []
        var without: [Double] = []
        var with: [Double] = []
        var delivery = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var delivered = 0
        for run in 0..<options.runs {
            // Without streams.
            without.append(try await drain(bench, "bench-events-a\(run)", perCustomer: perCustomer))
            // With a stream per customer, open before the jobs arrive.
            let received = EventLatencies()
            let secrets = keys
            let streams = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, key) in secrets.enumerated() {
                        group.addTask {
                            try await HTTPConnection(port: port).stream(
                                "/api/queue/c\(index)/events?queue=bench-events-b\(run)",
                                headers: [("Authorization", "Bearer \(key)")], received: received)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await received.waitForSubscribers(subscribers)
            // The enqueues' events are not counted: the latency is the drain's.
            received.reset()
            with.append(try await drain(bench, "bench-events-b\(run)", perCustomer: perCustomer, reset: received))
            try await received.waitForEvents(2 * total, within: .seconds(60))
            streams.cancel()
            let (histogram, count) = received.taken()
            delivery.add(histogram)
            delivered += count
        }
        let ratio = (BenchmarkResult.median(with) ?? 0) / max(BenchmarkResult.median(without) ?? 1, 1)
        func runs(_ values: [Double]) -> String { values.map { String(Int($0.rounded())) }.joined(separator: ", ") }
        let how = rate.map { "enqueued at \($0) a second while drained" } ?? "enqueued first, drained flat out"
        lines.append(
            "drain of \(total) jobs over \(subscribers) customers (\(how)), no stream open → median \(Int((BenchmarkResult.median(without) ?? 0).rounded())) jobs/s (runs: \(runs(without)))"
        )
        lines.append(
            "the same with \(subscribers) event streams open, one per customer → median \(Int((BenchmarkResult.median(with) ?? 0).rounded())) jobs/s (runs: \(runs(with))); \(Int((ratio * 100).rounded()))% of the drain without"
        )
        let ms = { (value: UInt64) in String(format: "%.2f ms", Double(value) / 1000) }
        lines.append(
            "event delivery (stamped → received), \(delivered) events → p50 \(ms(delivery.valueAtPercentile(50))) p99 \(ms(delivery.valueAtPercentile(99))) max \(ms(delivery.max))"
        )
        await group.triggerGracefulShutdown()
        return lines
    }

    /// Jobs per second draining `perCustomer` jobs of each customer: enqueued first (reported
    /// latencies start after the enqueues' events, `reset`), or at `rate` a second in batches
    /// every 10 ms while the worker drains.
    private func drain(
        _ bench: Benchmark, _ queue: String, perCustomer: Int, reset: EventLatencies? = nil
    ) async throws -> Double {
        var handlers = JobHandlers()
        handlers.registerFallback { _ in }
        let total = perCustomer * subscribers
        guard let rate else {
            try await bench.fill(queue, customers: subscribers, perCustomer: perCustomer)
            reset?.reset()
            let elapsed = try await bench.withWorker(queue, handlers: handlers, until: total) {}
            return Double(total) / elapsed.timeInterval
        }
        let (store, customers) = (workerStore, subscribers)
        let elapsed = try await bench.withWorker(queue, handlers: handlers, until: total) {
            let perTick = max(1, rate / 100)
            let start = ContinuousClock.now
            for (tick, first) in stride(from: 0, to: total, by: perTick).enumerated() {
                // Customers in turn, so that every stream gets its share all along.
                let batch = try (first..<min(first + perTick, total)).map { n in
                    try NewJob(
                        customer: "c\(n % customers)", queue: queue, type: "noop", payloadJSON: "{\"n\":\(n)}")
                }
                _ = try await store.enqueue(batch: batch)
                try await Task.sleep(until: start + .milliseconds(10 * (tick + 1)))
            }
        }
        return Double(total) / elapsed.timeInterval
    }
}

/// EventLatencies collects what the streams received: how many are subscribed, and each job
/// event's delivery time.
final class EventLatencies: Sendable {
    private struct State {
        var subscribed = 0
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var count = 0
    }
    private let state = Mutex(State())
    private let changed = Doorbell()

    func subscribed() {
        state.withLock { $0.subscribed += 1 }
        changed.ringAll()
    }

    func received(stampedAt milliseconds: Int64) {
        let now = Date().unixMilliseconds
        state.withLock {
            $0.histogram.record(UInt64(max(0, now - milliseconds)) * 1000)
            $0.count += 1
        }
        changed.ringAll()
    }

    func reset() {
        state.withLock {
            $0.histogram.reset()
            $0.count = 0
        }
    }

    func taken() -> (Histogram<UInt64>, Int) { state.withLock { ($0.histogram, $0.count) } }

    func waitForSubscribers(_ count: Int) async throws {
        try await wait(within: .seconds(60)) { $0.subscribed >= count }
    }

    func waitForEvents(_ count: Int, within limit: Duration) async throws {
        try await wait(within: limit) { $0.count >= count }
    }

    private func wait(within limit: Duration, until done: (State) -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while true {
            let ticket = changed.ticket()
            if state.withLock({ done($0) }) { return }
            let left = deadline - .now
            guard left > .zero else { throw JobStoreError.unavailable(reason: "the event streams fell behind") }
            _ = await changed.wait(for: nil, after: ticket, timeout: left)
        }
    }
}

extension HTTPConnection {
    /// Reads the event stream at `path` until cancelled, telling `received` of the subscription
    /// and of each job event's stamp. It reads bytes, not strings: a thousand streams' clients
    /// share this process's cores with the server they measure.
    func stream(_ path: String, headers: [(String, String)], received: EventLatencies) async throws {
        try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: "127.0.0.1")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var pending: [UInt8] = []
            for try await part in inbound {
                guard case .body(let chunk) = part else { continue }
                pending.append(contentsOf: chunk.readableBytesView)
                var start = 0
                var index = 0
                while index + 1 < pending.count {
                    guard pending[index] == 10, pending[index + 1] == 10 else {
                        index += 1
                        continue
                    }
                    Self.read(block: pending[start..<index], received: received)
                    start = index + 2
                    index = start
                }
                pending.removeFirst(start)
            }
        }
    }

    private static let subscribed = Array(": subscribed".utf8)
    private static let drainEvents = [Array("event: job.started\n".utf8), Array("event: job.completed\n".utf8)]
    private static let at = Array(#""at":""#.utf8)

    /// One block of the stream: the subscription's comment, or an event whose stamp is timed if
    /// it is one of the drain's (the enqueues' may still be arriving).
    private static func read(block: ArraySlice<UInt8>, received: EventLatencies) {
        if block.starts(with: subscribed) {
            received.subscribed()
            return
        }
        guard drainEvents.contains(where: { block.firstRange(of: $0) != nil }),
            let at = block.firstRange(of: at), block.endIndex - at.upperBound >= 24,
            let stamped = milliseconds(rfc3339: block[at.upperBound..<(at.upperBound + 24)])
        else { return }
        received.received(stampedAt: stamped)
    }

    /// Milliseconds since the epoch of `2026-12-06T12:20:03.123Z`, the API's one form of time —
    /// read by hand: a date formatter cost the bench's own clients more than the server's work.
    static func milliseconds(rfc3339 digits: ArraySlice<UInt8>) -> Int64? {
        let digits = Array(digits)
        guard digits.count == 24, digits[23] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64 {
            digits[range].reduce(0) { $0 * 10 + Int64($1 &- UInt8(ascii: "0")) }
        }
        let (year, month, day) = (number(0..<4), number(5..<7), number(8..<10))
        // Days from the civil date (Howard Hinnant's algorithm).
        let shifted = month <= 2 ? year - 1 : year
        let era = shifted / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + number(11..<13) * 3600 + number(14..<16) * 60 + number(17..<19)
        return seconds * 1000 + number(20..<23)
    }
}
