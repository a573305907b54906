public import ConveyorCore
import Foundation
import Logging
public import ServiceLifecycle
import Synchronization

/// WorkerService runs jobs: it registers the process in the worker registry, claims jobs from its
/// queues up to each queue's concurrency, runs their handlers with the lease kept alive, records
/// each outcome, and drains on graceful shutdown. It is a swift-service-lifecycle `Service`:
///
/// ```swift
/// let worker = WorkerService(store: store, handlers: handlers, configuration: .init(queues: ["mail": 4]))
/// try await ServiceGroup(services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
///
/// Shutdown: claiming stops at once (a claim still unanswered two seconds later is given up);
/// running jobs get `shutdownTimeout` to finish; then their handlers are cancelled and their jobs
/// released, so they run again right away rather than after their leases expire. `stopGrace`
/// later the worker waits for nothing more, so it stops whatever the store does. Task
/// cancellation interrupts at once, the same way.
public final class WorkerService: Service, Sendable {
    /// The roles a worker uses: claiming and settling jobs, reading one back (an outcome retry
    /// checks what was recorded), and the worker registry.
    public typealias Store = JobQueue & JobQueries & WorkerRegistry

    let store: any Store
    let handlers: JobHandlers
    let configuration: WorkerConfiguration
    let logger: Logger

    /// Set when shutdown begins; idle queues are woken so they see it.
    let draining = Mutex(false)
    let drainingBell = Doorbell()
    /// Set when running handlers must stop: the shutdown deadline passed, or the task was cancelled.
    let interrupted = Mutex(false)
    let inFlight = InFlightJobs()
    /// How many jobs run right now, over all queues (reported to the registry).
    let running = JobCount()
    /// The handlers' progress reports, coalesced.
    let progress: ProgressWriter
    /// Completions, group-committed: at most 500 per transaction.
    let completions: GroupCommit<Completion, Job>
    /// The running handlers' leases, renewed by one task for the whole worker.
    let leases = LeaseKeeper()
    /// How long outcome writes are tried, from the lease and heartbeat settings.
    let outcomeRetry: OutcomeRetry
    /// Work begun by a completion's callback (retrying it apart from its batch), run as children
    /// of `run()` so that none outlives the worker.
    let followUps = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)

    /// Creates the service; invalid configuration throws before anything runs.
    public init(store: any Store, handlers: JobHandlers, configuration: WorkerConfiguration) throws(ValidationError) {
        self.store = store
        let retry = OutcomeRetry(
            lease: configuration.lease, heartbeatInterval: configuration.effectiveHeartbeatInterval)
        self.outcomeRetry = retry
        // A batch is given as long as its leases are sure to hold; one that never answers fails
        // as `DeadlineExceeded`, and its completions are retried apart.
        self.completions = GroupCommit(maxBatch: 500) { completions in
            try await abandoning(after: retry.timeout(elapsed: .zero)) {
                try await store.complete(batch: completions).map { $0.mapError { $0 } }
            }
        }
        self.handlers = handlers
        self.progress = ProgressWriter(store: store, clock: configuration.clock, logger: configuration.logger)
        self.configuration = try configuration.validated()
        var logger = configuration.logger
        logger[metadataKey: "worker_id"] = .string(configuration.workerID)
        self.logger = logger
    }

    /// Runs until graceful shutdown or cancellation, then drains and returns.
    public func run() async throws {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let registration = try WorkerRegistration(
            id: configuration.workerID, host: host, pid: pid, queues: configuration.queues.keys.sorted(),
            concurrency: configuration.queues.values.reduce(0, +))
        _ = try await store.registerWorker(registration)
        logger.info("worker started", metadata: ["queues": .string(registration.queues.joined(separator: ","))])
        emit(.started(workerID: configuration.workerID))

        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { background in
                    background.addTask { await self.keepRegistrationAlive(registration) }
                    background.addTask { await self.enforceShutdownDeadline() }
                    background.addTask { await self.keepLeases() }
                    background.addTask { await self.completions.writeUntilCancelled() }
                    background.addTask { await self.progress.writeUntilCancelled() }
                    background.addTask {
                        await withDiscardingTaskGroup { followUps in
                            for await work in self.followUps.stream { followUps.addTask { await work() } }
                        }
                    }
                    await withTaskGroup(of: Bool.self) { queues in
                        for (queue, concurrency) in configuration.queues {
                            queues.addTask {
                                await self.runQueue(queue, concurrency: concurrency)
                                return false
                            }
                        }
                        queues.addTask {
                            await self.waitForStopLine()
                            return !Task.isCancelled
                        }
                        var running = configuration.queues.count
                        for await stopLine in queues {
                            if stopLine {
                                logger.warning(
                                    "stop line passed: no longer waiting for the store; jobs not released are rescued when their leases expire"
                                )
                                emit(.stopLinePassed)
                                queues.cancelAll()
                            } else {
                                running -= 1
                                if running == 0 { queues.cancelAll() }
                            }
                        }
                    }
                    background.cancelAll()
                }
            } onGracefulShutdown: {
                self.beginDraining()
            }
        } onCancel: {
            self.beginDraining()
            self.interrupt()
        }

        // Deregistering is best effort: a worker that cannot reach the store shows as dead later.
        try? await shielded(within: .seconds(2)) { try await self.store.removeWorker(id: self.configuration.workerID) }
        logger.info("worker stopped")
        emit(.stopped)
    }

    /// Stops claiming. Idle queues are woken so that they notice.
    func beginDraining() {
        let first = draining.withLock { draining in
            defer { draining = true }
            return !draining
        }
        guard first else { return }
        logger.info("draining: no more claims, waiting for running jobs")
        emit(.draining)
        drainingBell.ringAll()
        // Idle queues wait on the store's doorbell; ringing it wakes other workers of this process
        // too, which costs them one empty claim.
        store.wakeups.ringAll()
    }

    /// Makes running handlers stop now; their jobs are released.
    func interrupt() {
        interrupted.withLock { $0 = true }
        inFlight.interruptAll()
    }

    var isDraining: Bool { draining.withLock { $0 } }
    var isInterrupted: Bool { interrupted.withLock { $0 } }

    private func enforceShutdownDeadline() async {
        guard await waitUntilDraining() else { return }
        try? await Task.sleep(for: configuration.shutdownTimeout)
        if Task.isCancelled { return }
        logger.warning("shutdown deadline passed: interrupting running jobs and releasing them")
        interrupt()
    }

    /// Returns once `shutdownTimeout` + `stopGrace` have passed since draining began (or the task
    /// is cancelled): past it the worker waits for nothing, so that it stops whatever the store does.
    private func waitForStopLine() async {
        guard await waitUntilDraining() else { return }
        try? await Task.sleep(for: configuration.shutdownTimeout + configuration.stopGrace)
    }

    /// Waits (cancellably) for draining to begin; false when cancelled first.
    func waitUntilDraining() async -> Bool {
        let ticket = drainingBell.ticket()
        if !isDraining { _ = await drainingBell.wait(for: nil, after: ticket, timeout: nil) }
        return !Task.isCancelled
    }

    private func keepRegistrationAlive(_ registration: WorkerRegistration) async {
        var failing = false
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.registryHeartbeatInterval)
            if Task.isCancelled { return }
            let jobsRunning = running.current
            do {
                let store = self.store
                _ = try await abandoning(after: configuration.registryHeartbeatInterval) {
                    try await store.heartbeatWorker(id: registration.id, jobsRunning: jobsRunning)
                }
                emit(.registryHeartbeat(jobsRunning: jobsRunning))
                failing = false
            } catch JobStoreError.workerNotFound {
                let store = self.store
                _ = try? await abandoning(after: configuration.registryHeartbeatInterval) {
                    try await store.registerWorker(registration)
                }
            } catch {
                if Task.isCancelled { return }
                // Once per outage: the claim loops report it too.
                if !failing { logger.warning("worker heartbeat failed", metadata: ["error": .string("\(error)")]) }
                failing = true
            }
        }
    }

    func emit(_ event: WorkerEvent) {
        configuration.onEvent?(event)
    }
}

/// Runs `operation` in a task of its own, waiting at most `timeout` for it: neither the timeout
/// nor the caller's cancellation (the stop line) stops it, so an outcome or a claim that can still
/// commit does, but neither can hold the worker once it must stop.
func shielded<T: Sendable>(
    within timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await abandoning(after: timeout, cancelling: false, operation)
}
