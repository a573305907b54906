import ConveyorCore
import ConveyorSQLite
import ConveyorTestSupport
import ConveyorWorker
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// WorkerHarness runs a real `WorkerService` in a `ServiceGroup` against a real SQLite file, with
/// one test clock for the store and the worker's rules about time, and every worker event recorded.
final class WorkerHarness: Sendable {
    let directory: URL
    let clock = TestClock()
    let store: SQLiteJobStore
    let events = EventLog<WorkerEvent>()
    let group: ServiceGroup
    let worker: WorkerService
    let running: Task<Void, any Error>

    init(
        handlers: JobHandlers, queues: [String: Int] = ["default": 2], lease: Duration = .seconds(30),
        pollInterval: Duration = .milliseconds(20),
        heartbeatInterval: Duration? = nil, handlerTimeout: Duration = .seconds(60),
        shutdownTimeout: Duration = .seconds(30), registryHeartbeatInterval: Duration = .seconds(5),
        limits: JobLimits = .default, logger: Logger = Logger(label: "test")
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "conveyor-worker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try await SQLiteJobStore.open(
            path: directory.appendingPathComponent("conveyor.sqlite").path, clock: clock,
            options: .init(store: JobStoreConformance.options))
        let events = self.events
        worker = try WorkerService(
            store: store, handlers: handlers,
            configuration: WorkerConfiguration(
                queues: queues, lease: lease, heartbeatInterval: heartbeatInterval, handlerTimeout: handlerTimeout,
                shutdownTimeout: shutdownTimeout, pollInterval: pollInterval,
                registryHeartbeatInterval: registryHeartbeatInterval, workerID: "test-worker",
                onEvent: { events.record($0) }, clock: clock, limits: limits, logger: logger))
        group = ServiceGroup(services: [worker], logger: Logger(label: "test"))
        let group = self.group
        running = Task { try await group.run() }
        try await events.wait("the worker to start") { $0.contains { if case .started = $0 { true } else { false } } }
    }

    @discardableResult
    func enqueue(
        type: String = "greet", payload: String = #"{"name":"Ada"}"#, queue: String = "default", maxAttempts: Int = 20
    ) async throws -> Job {
        try await store.enqueue(
            NewJob(customer: "acme", queue: queue, type: type, payloadJSON: payload, maxAttempts: maxAttempts)
        ).job
    }

    /// Asks for a graceful shutdown and waits until the worker has returned.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    func remove() {
        running.cancel()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Gets a job claimed ahead: runs three `quick` jobs (so the worker knows its handlers are short
    /// and claims ahead), starts one of type `greet` (whose handler the test holds back), then
    /// enqueues one of `aheadType` and waits until it is leased but not started. The test registers
    /// both handlers.
    func claimAhead(aheadType: String) async throws -> (running: Job, ahead: Job) {
        for _ in 0..<3 {
            let quick = try await enqueue(type: "quick")
            try await waitFor(.completed, of: quick.id)
        }
        let running = try await enqueue()
        try await waitFor(.claimed, of: running.id)
        let ahead = try await enqueue(type: aheadType)
        let deadline = ContinuousClock.now + .seconds(10)
        while try await store.job(id: ahead.id)?.state != .running {
            try #require(ContinuousClock.now < deadline, "the second job is never claimed ahead")
            try await Task.sleep(for: .milliseconds(5))
        }
        return (running, ahead)
    }

    /// Waits for an event about `id` matching `kind`, and returns the job it carries, if any.
    @discardableResult
    func waitFor(
        _ kind: EventKind, of id: JobID, count: Int = 1, timeout: Duration = .seconds(20),
        sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws -> Job?
    {
        let events = try await events.wait(
            "\(count) × \(kind.rawValue) of \(id)", timeout: timeout, sourceLocation: sourceLocation
        ) {
            $0.filter { kind.matches($0, id) }.count >= count
        }
        return events.last { kind.matches($0, id) }.flatMap(\.job)
    }
}

enum EventKind: String {
    case claimed, heartbeat, completed, failed, released, timedOut, leaseLost, cancelled

    func matches(_ event: WorkerEvent, _ id: JobID) -> Bool {
        switch (self, event) {
        case (.claimed, .claimed(let job)), (.completed, .completed(let job)), (.failed, .failed(let job)),
            (.released, .released(let job)):
            job.id == id
        case (.heartbeat, .heartbeat(let jobID)), (.timedOut, .timedOut(let jobID)),
            (.leaseLost, .leaseLost(let jobID)), (.cancelled, .cancelled(let jobID)):
            jobID == id
        default: false
        }
    }
}

extension WorkerEvent {
    var job: Job? {
        switch self {
        case .claimed(let job), .completed(let job), .failed(let job), .released(let job): job
        default: nil
        }
    }
}

/// CancellationProbe is a handler body that runs until it is cancelled and notes that it was —
/// for the tests of timeouts, lost leases and shutdown.
final class CancellationProbe: Sendable {
    private let cancelled = Mutex(false)

    var sawCancellation: Bool { cancelled.withLock { $0 } }

    /// Waits until cancelled; then rethrows the cancellation, or returns as if the work were done
    /// (the runtime must discard that outcome all the same).
    func runUntilCancelled(rethrowing: Bool) async throws {
        do {
            try await Task.sleep(for: .seconds(3600))
        } catch {
            cancelled.withLock { $0 = true }
            if rethrowing { throw error }
        }
    }
}
