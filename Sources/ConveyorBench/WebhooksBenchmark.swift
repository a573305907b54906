public import ConveyorCore
import ConveyorWebhooks
import Foundation
import Histogram
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// WebhooksBenchmark measures webhook deliveries as one `serve` makes them — the dispatcher and
/// the `_webhooks` worker of `WebhookDeliveryServices`, in this process — to a receiver on
/// loopback: `customers` customers with `endpointsPerCustomer` endpoints each (each wants
/// `job.enqueued`, so one job of a customer is a delivery to each of its endpoints). First the
/// sustained rate: `jobs` jobs enqueued at once, timed from the first enqueue to the last
/// delivery received, `runs` times. Then fairness: the first customer's endpoints answer only
/// after `slowDelay` while jobs arrive at `rate` a second for `duration`; every other customer's
/// deliveries are timed from the event (its `timestamp`) to their arrival.
public struct WebhooksBenchmark: Sendable {
    let store: any JobStore
    let customers: Int
    let endpointsPerCustomer: Int
    let jobs: Int
    let runs: Int
    let slowDelay: Duration
    let rate: Int
    let duration: Duration
    let concurrency: Int

    public init(
        store: any JobStore, customers: Int, endpointsPerCustomer: Int, jobs: Int, runs: Int, slowDelay: Duration,
        rate: Int, duration: Duration, concurrency: Int
    ) {
        self.store = store
        self.customers = customers
        self.endpointsPerCustomer = endpointsPerCustomer
        self.jobs = jobs
        self.runs = runs
        self.slowDelay = slowDelay
        self.rate = rate
        self.duration = duration
        self.concurrency = concurrency
    }

    /// What the receiver saw.
    final class Inbox: Sendable {
        let count = Mutex(0)
        let slowCustomer = Mutex<String?>(nil)
        let others = Mutex(
            Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three))
        let othersCount = Mutex(0)
        let slowCount = Mutex(0)
        let bell = Doorbell()
    }

    public func run() async throws -> [String] {
        var logger = Logger(label: "conveyor.bench.webhooks")
        logger.logLevel = .warning
        let inbox = Inbox()
        let ports = PortBook()
        let slowDelay = self.slowDelay
        let router = Router()
        router.post("/hooks/:customer/:endpoint") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let customer = context.parameters.get("customer") ?? ""
            if inbox.slowCustomer.withLock({ $0 == customer }) {
                inbox.slowCount.withLock { $0 += 1 }
                try? await Task.sleep(for: slowDelay)
            } else if let at = Self.timestamp(String(buffer: body)) {
                let micros = UInt64(max(0, Date().timeIntervalSince(at)) * 1_000_000)
                inbox.others.withLock { _ = $0.record(micros) }
                inbox.othersCount.withLock { $0 += 1 }
            }
            inbox.count.withLock { $0 += 1 }
            inbox.bell.ringAll()
            return Response(status: .noContent)
        }
        let receiver = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { ports.set("receiver", $0.localAddress?.port ?? 0) }, logger: logger)
        let delivery = WebhookDeliveryServices(
            policy: WebhookURLPolicy(allowPrivateNetworks: true), concurrency: concurrency)
        let group = ServiceGroup(
            services: [receiver] + (try delivery.services(store: store, logger: logger)), logger: logger)
        let running = Task { try await group.run() }
        defer { running.cancel() }
        let port = try await ports.wait("receiver")
        let names = (0..<customers).map { "wc\($0)" }
        for name in names {
            if try await store.customer(named: name) == nil { _ = try await store.createCustomer(name) }
            for endpoint in 0..<endpointsPerCustomer {
                _ = try await store.createWebhook(
                    try WebhookEndpointDraft(
                        customer: name, url: "http://127.0.0.1:\(port)/hooks/\(name)/e\(endpoint)",
                        events: ["job.enqueued"], queue: nil, description: nil,
                        policy: WebhookURLPolicy(allowPrivateNetworks: true)), secret: WebhookSecret.generate())
            }
        }
        var lines: [String] = []
        var rates: [Double] = []
        for run in 1...runs {
            let expected = inbox.count.withLock { $0 } + jobs * endpointsPerCustomer
            let started = ContinuousClock.now
            try await enqueue(jobs, names, queue: "bench-webhooks")
            try await wait(
                inbox, for: { inbox.count.withLock { $0 } }, until: expected, within: .seconds(600), "deliveries")
            let seconds = (ContinuousClock.now - started).timeInterval
            rates.append(Double(jobs * endpointsPerCustomer) / seconds)
            lines.append(
                "webhooks: run \(run): \(jobs * endpointsPerCustomer) deliveries (\(jobs) jobs × \(endpointsPerCustomer) endpoints, \(customers) customers) in \(String(format: "%.2f", seconds)) s → \(Int(rates.last!)) deliveries/s"
            )
        }
        let sorted = rates.sorted()
        lines.append("webhooks: sustained → median \(Int(sorted[sorted.count / 2])) deliveries/s")

        // Fairness: the first customer's endpoints hang for slowDelay.
        inbox.slowCustomer.withLock { $0 = names[0] }
        // Only this run's deliveries count: the sustained runs' bursts must not be in its figures.
        inbox.others.withLock { $0.reset() }
        let othersBefore = inbox.othersCount.withLock { $0 }
        let total = Int(Double(rate) * duration.timeInterval)
        let perTick = max(1, rate / 10)
        var sent = 0
        var othersJobs = 0
        let start = ContinuousClock.now
        while sent < total {
            let batch = min(perTick, total - sent)
            let customersOfBatch = (0..<batch).map { names[(sent + $0) % names.count] }
            othersJobs += customersOfBatch.filter { $0 != names[0] }.count
            _ = try await store.enqueue(
                batch: try customersOfBatch.map {
                    try NewJob(customer: $0, queue: "bench-webhooks", type: "bench.noop", payloadJSON: "{}")
                })
            sent += batch
            let next = start + .milliseconds(Int64(sent) * 1000 / Int64(rate))
            if next > .now { try await Task.sleep(until: next) }
        }
        let expectedOthers = othersBefore + othersJobs * endpointsPerCustomer
        try await wait(
            inbox, for: { inbox.othersCount.withLock { $0 } }, until: expectedOthers, within: .seconds(120),
            "the other customers' deliveries")
        let latency = inbox.others.withLock { $0 }
        lines.append(
            "webhooks: one customer's endpoints answering after \(Int(slowDelay.timeInterval)) s, \(rate) jobs/s for \(Int(duration.timeInterval)) s: the other customers' deliveries (\(othersJobs * endpointsPerCustomer)), event → received, p50 \(Self.ms(latency.valueAtPercentile(50))) ms p99 \(Self.ms(latency.valueAtPercentile(99))) ms max \(Self.ms(latency.max)) ms; the slow customer's endpoints got \(inbox.slowCount.withLock { $0 }) meanwhile"
        )
        await group.triggerGracefulShutdown()
        return lines
    }

    private func enqueue(_ count: Int, _ names: [String], queue: String) async throws {
        var made = 0
        while made < count {
            let batch = min(500, count - made)
            _ = try await store.enqueue(
                batch: try (0..<batch).map {
                    try NewJob(
                        customer: names[(made + $0) % names.count], queue: queue, type: "bench.noop", payloadJSON: "{}")
                })
            made += batch
        }
    }

    /// Returns once `count` reaches `expected`; throws when it stops growing for `limit`.
    private func wait(
        _ inbox: Inbox, for count: () -> Int, until expected: Int, within limit: Duration, _ what: String
    ) async throws {
        let deadline = ContinuousClock.now + limit
        while count() < expected {
            let ticket = inbox.bell.ticket()
            guard ContinuousClock.now < deadline else {
                throw JobStoreError.unavailable(reason: "\(what) stopped arriving")
            }
            _ = await inbox.bell.wait(for: nil, after: ticket, timeout: .seconds(1))
        }
    }

    static func ms(_ micros: UInt64) -> String { String(format: "%.1f", Double(micros) / 1000) }

    /// The body's `timestamp` (the event's time).
    static func timestamp(_ body: String) -> Date? {
        guard let range = body.range(of: #""timestamp":""#) else { return nil }
        let rest = body[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return try? Date(String(rest[..<end]), strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
