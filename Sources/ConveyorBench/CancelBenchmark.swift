public import ConveyorCore
import ConveyorServer
import ConveyorWorker
import Foundation
import Histogram
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// CancelBenchmark measures how soon a cancel stops the attempt it ends, for each kind of worker:
/// from the call of `cancel` — made through another store on the same database, as another
/// process or node makes it; its commit included — to the Swift handler's task seeing the cancellation; to the program
/// (the handler of `conveyor work`) having exited on its SIGTERM; to the HTTP worker's heartbeat
/// being answered 409 `cancelled`. Each job is cancelled at a random moment of its renewal
/// interval, so a cancel that waits for the next renewal (SQLite; HTTP workers) is timed fairly.
public struct CancelBenchmark: Sendable {
    /// A kind of worker.
    public enum Kind: String, Sendable, CaseIterable {
        case swift, program, http
    }

    let store: any JobStore
    let canceller: any JobStore
    let jobs: Int
    let lease: Duration
    let heartbeat: Duration

    /// `store` runs the workers; `canceller`, another store on the same database, cancels. The
    /// in-process workers renew their `lease` every third of it; the HTTP worker heartbeats every
    /// `heartbeat`.
    public init(store: any JobStore, canceller: any JobStore, jobs: Int, lease: Duration, heartbeat: Duration) {
        self.store = store
        self.canceller = canceller
        self.jobs = jobs
        self.lease = lease
        self.heartbeat = heartbeat
    }

    /// The lines of the report, one per kind.
    public func run(_ kinds: [Kind] = Kind.allCases) async throws -> [String] {
        // The workers' store runs as in a worker's process: on PostgreSQL, that is what listens
        // for the cancels that other processes announce.
        let running = Task { try await (store as? any Service)?.run() }
        defer { running.cancel() }
        var lines: [String] = []
        for kind in kinds {
            let times =
                switch kind {
                case .swift: try await inProcess(program: false)
                case .program: try await inProcess(program: true)
                case .http: try await overHTTP()
                }
            var histogram = Histogram<UInt64>(
                highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
            for time in times { histogram.record(UInt64(max(0, time.timeInterval * 1_000_000))) }
            let ms = { (value: UInt64) in String(format: "%.1f ms", Double(value) / 1000) }
            let how =
                switch kind {
                case .swift: "Swift handler, lease \(lease) renewed every \(lease / 3): cancel → task cancelled"
                case .program: "program (conveyor work), lease \(lease): cancel → exited on SIGTERM"
                case .http: "HTTP worker heartbeating every \(heartbeat): cancel → heartbeat answered 409"
                }
            lines.append(
                "\(how), \(times.count) jobs → p50 \(ms(histogram.valueAtPercentile(50))) p99 \(ms(histogram.valueAtPercentile(99))) max \(ms(histogram.max))"
            )
        }
        return lines
    }

    /// A worker in this process runs each job until it is cancelled; returns each cancel's time.
    private func inProcess(program: Bool) async throws -> [Duration] {
        let queue = "bench-cancel-\(UInt32.random(in: 0 ... .max))"
        let marks = Marks()
        var handlers = JobHandlers()
        if program {
            // Killed by SIGTERM at once (exec: no shell left to wait for).
            let command = CommandJobHandler(
                command: "/bin/sh", arguments: ["-c", "exec sleep 600"], killAfter: .seconds(10))
            handlers.registerFallback { context in
                marks.started(context.job.id)
                defer { marks.stopped(context.job.id) }
                _ = try await command.run(context)
            }
        } else {
            handlers.registerFallback { context in
                marks.started(context.job.id)
                defer { marks.stopped(context.job.id) }
                try await Task.sleep(for: .seconds(600))
            }
        }
        var logger = Logger(label: "conveyor.bench.cancel")
        logger.logLevel = .critical
        let worker = try WorkerService(
            store: store, handlers: handlers,
            configuration: WorkerConfiguration(
                queues: [queue: 1], lease: lease, pollInterval: .milliseconds(50), logger: logger))
        let running = Task { try await worker.run() }
        defer { running.cancel() }
        var times: [Duration] = []
        for n in 0..<jobs {
            let job = try await store.enqueue(
                try NewJob(customer: "bench-cancel", queue: queue, type: "wait", payloadJSON: "{\"n\":\(n)}")
            ).job
            try await marks.waitForStart(job.id)
            try await Task.sleep(for: .seconds(Double.random(in: 0..<(lease / 3).timeInterval)))
            let cancelled = ContinuousClock.now
            _ = try await canceller.cancel(id: job.id)
            times.append(try await marks.waitForStop(job.id) - cancelled)
        }
        return times
    }

    /// A worker over the HTTP lease protocol claims each job and heartbeats until it is answered
    /// 409; returns each cancel's time.
    private func overHTTP() async throws -> [Duration] {
        var logger = Logger(label: "conveyor.bench.cancel")
        logger.logLevel = .critical
        let ports = PortBook()
        let api = try ConveyorAPI.application(store: store, host: "127.0.0.1", port: 0, logger: logger) {
            ports.set("api", $0)
        }
        let group = ServiceGroup(services: [api], logger: logger)
        let serving = Task { try await group.run() }
        defer { serving.cancel() }
        let port = try await ports.wait("api")
        if try await store.customer(named: "bench-cancel") == nil { _ = try await store.createCustomer("bench-cancel") }
        let (key, secret) = APIKeySecret.generate(customer: "bench-cancel")
        _ = try await store.createAPIKey(key)
        let queue = "bench-cancel-\(UInt32.random(in: 0 ... .max))"
        let connection = try await HTTPConnection(port: port)
        let canceller = self.canceller
        let (heartbeat, jobs) = (self.heartbeat, self.jobs)
        let times = try await connection.use { send in
            var times: [Duration] = []
            for n in 0..<jobs {
                _ = try await store.enqueue(
                    try NewJob(customer: "bench-cancel", queue: queue, type: "wait", payloadJSON: "{\"n\":\(n)}"))
                let (status, body) = try await send(
                    .POST, "/api/workers/claim", ByteBuffer(string: #"{"queues":["\#(queue)"],"max":1}"#))
                guard status == .ok, let (id, token) = try LeaseDrainBenchmark.leases(body).first, let jobID = JobID(id)
                else {
                    throw JobStoreError.unavailable(
                        reason: "the claim answered \(status.code): \(String(buffer: body))")
                }
                // Cancelled at a random moment of the heartbeat's interval, beside the worker.
                let cancelling = Task {
                    try await Task.sleep(for: .seconds(Double.random(in: 0..<heartbeat.timeInterval)))
                    let cancelled = ContinuousClock.now
                    _ = try await canceller.cancel(id: jobID)
                    return cancelled
                }
                while true {
                    try await Task.sleep(for: heartbeat)
                    let (status, body) = try await send(
                        .POST, "/api/jobs/\(id)/heartbeat", ByteBuffer(string: #"{"lease_token":"\#(token)"}"#))
                    if status == .conflict, String(buffer: body).contains("cancelled") { break }
                    guard status == .ok else {
                        throw JobStoreError.unavailable(
                            reason: "the heartbeat answered \(status.code): \(String(buffer: body))")
                    }
                }
                let stopped = ContinuousClock.now
                times.append(stopped - (try await cancelling.value))
            }
            return times
        } headers: {
            [("Authorization", "Bearer \(secret)"), ("Content-Type", "application/json")]
        }
        await group.triggerGracefulShutdown()
        return times
    }
}

/// Marks are when each job's handler started and stopped, for the benchmark to wait on.
private final class Marks: Sendable {
    private let state = Mutex<(started: Set<JobID>, stopped: [JobID: ContinuousClock.Instant])>(([], [:]))
    private let changed = Doorbell()

    func started(_ id: JobID) {
        state.withLock { _ = $0.started.insert(id) }
        changed.ringAll()
    }

    func stopped(_ id: JobID) {
        let now = ContinuousClock.now
        state.withLock { $0.stopped[id] = now }
        changed.ringAll()
    }

    func waitForStart(_ id: JobID) async throws {
        _ = try await wait { $0.started.contains(id) ? true : nil }
    }

    func waitForStop(_ id: JobID) async throws -> ContinuousClock.Instant {
        try await wait { $0.stopped[id] }
    }

    private func wait<T>(
        _ done: ((started: Set<JobID>, stopped: [JobID: ContinuousClock.Instant])) -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let ticket = changed.ticket()
            if let value = state.withLock({ done($0) }) { return value }
            let left = deadline - .now
            guard left > .zero else { throw JobStoreError.unavailable(reason: "a handler neither started nor stopped") }
            _ = await changed.wait(for: nil, after: ticket, timeout: left)
        }
    }
}
