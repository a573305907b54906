public import ConveyorCore
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// HealthMonitor takes the health readings (`/api/health`), says whether this node can serve
/// (`/readyz`), and — as a service of `conveyor serve` — turns readiness off first on graceful
/// shutdown. Every reading has its own timeout and they run at once, so a report takes at most
/// about one timeout, whatever the database does.
public final class HealthMonitor: Service, Sendable {
    /// The roles a health report reads.
    public typealias Store = HealthReadings & WorkerRegistry & StaleJobStore & DeadLetterStore & LeaderElector
        & PauseStore

    public let configuration: HealthConfiguration
    let store: any Store
    let rateLimiter: RateLimiter?
    let clock: any WallClock
    let logger: Logger
    let metrics: ConveyorMetrics?
    private let knownQueues = Mutex<Set<QueueName>>([])
    private let knownPauses = Mutex<Set<QueueName>>([])
    private let knownRunning = Mutex<Set<QueueName>>([])
    private let draining = Atomic(false)
    private let lastReport = Mutex<(at: ContinuousClock.Instant, report: HealthReport)?>(nil)

    /// Creates the monitor; `rateLimiter` is reported when requests are limited; with `metrics`,
    /// each measurement also sets the queue, dead-letter and worker gauges.
    public init(
        store: any Store, rateLimiter: RateLimiter?, configuration: HealthConfiguration,
        clock: any WallClock = SystemClock(), metrics: ConveyorMetrics? = nil, logger: Logger
    ) {
        self.metrics = metrics
        self.store = store
        self.rateLimiter = rateLimiter
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// Whether graceful shutdown has begun.
    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// The current report, or one at most `reuseFor` old.
    public func report() async -> HealthReport {
        let reuseFor = configuration.reuseFor
        if let last = lastReport.withLock({ $0 }), ContinuousClock.now - last.at < reuseFor { return last.report }
        let report = await measure()
        lastReport.withLock { $0 = (ContinuousClock.now, report) }
        return report
    }

    /// Takes every reading now.
    func measure() async -> HealthReport {
        let store = self.store
        let timeout = configuration.thresholds.checkTimeout
        let role = configuration.leaderRole
        async let database = Self.reading(within: timeout) {
            let start = ContinuousClock.now
            try await store.ping()
            return ContinuousClock.now - start
        }
        async let workers = Self.reading(within: timeout) { try await store.workers() }
        async let stale = Self.reading(within: timeout) { try await store.staleJobs(grace: .zero).count }
        async let backlogs = Self.reading(within: timeout) { try await store.backlogs() }
        async let dead = Self.reading(within: timeout) { try await store.deadLetterCount() }
        async let leader = Self.reading(within: timeout) { try await store.leader(of: role) }
        async let pauses = Self.reading(within: timeout) { try await store.pauses() }
        let observations = HealthObservations(
            database: await database, workers: await workers, staleJobs: await stale, backlogs: await backlogs,
            deadLetters: await dead, rateLimiterMode: rateLimiter?.mode.rawValue, leader: await leader,
            pauses: await pauses)
        let now = clock.now()
        if let metrics {
            record(observations, in: metrics, at: now)
            // Only for the gauge: how many jobs run is no health check.
            if case .success(let running) = await Self.reading(within: timeout, { try await store.running() }) {
                knownRunning.withLock { known in known = metrics.running(running, previously: known) }
            }
        }
        let report = HealthReport(
            observations, thresholds: configuration.thresholds, version: configuration.version, role: role, at: now)
        if report.status != .pass {
            let failing = report.checks.filter { $0.value.contains { $0.status != .pass } }.keys.sorted()
            logger.debug(
                "health is not passing",
                metadata: [
                    "status": .string(report.status.rawValue), "checks": .string(failing.joined(separator: ",")),
                ])
        }
        return report
    }

    /// Sets the gauges from the readings taken; a reading that failed leaves its gauge as it was.
    private func record(_ observations: HealthObservations, in metrics: ConveyorMetrics, at now: Date) {
        if case .success(let backlogs) = observations.backlogs {
            knownQueues.withLock { known in known = metrics.backlogs(backlogs, at: now, previously: known) }
        }
        if case .success(let dead) = observations.deadLetters { metrics.deadLetters(dead) }
        if case .success(let pauses) = observations.pauses {
            knownPauses.withLock { known in known = metrics.pauses(pauses, previously: known) }
        }
        if case .success(let workers) = observations.workers {
            let liveness = configuration.thresholds.workerLiveness
            metrics.liveWorkers(workers.filter { $0.isLive(at: now, timeout: liveness) }.count)
        }
    }

    /// Whether this node can serve: not shutting down, the database answering, no migration
    /// pending. Nil when ready; otherwise why not.
    public func notReadyBecause() async -> String? {
        if isDraining { return "shutting down" }
        let store = self.store
        let pending = configuration.pendingMigrations
        let timeout = configuration.thresholds.checkTimeout
        let answer = await Self.reading(within: timeout) { () async throws -> [String] in
            try await store.ping()
            return try await pending()
        }
        switch answer {
        case .failure(let failure): return "the database is not reachable: \(failure.reason)"
        case .success(let names) where !names.isEmpty:
            return "migrations pending: \(names.joined(separator: ", ")) (run conveyor migrate)"
        case .success: return nil
        }
    }

    /// Waits for graceful shutdown, then answers not-ready for `drainDelay` before letting the
    /// services listed before it (the HTTP server) stop.
    public func run() async throws {
        try? await gracefulShutdown()
        draining.store(true, ordering: .relaxed)
        logger.info(
            "shutting down: /readyz answers 503 while the server drains",
            metadata: ["drain_seconds": "\(configuration.drainDelay.timeInterval)"])
        try? await Task.sleep(for: configuration.drainDelay)
    }

    /// Runs `operation` with a deadline, as a reading: given up on at the deadline whether or not
    /// the store heeds the cancellation, so a store that hangs cannot hold the report.
    static func reading<Value: Sendable>(
        within timeout: Duration, _ operation: @escaping @Sendable () async throws -> Value
    ) async -> HealthObservations.Reading<Value> {
        do {
            return .success(try await abandoning(after: timeout, operation))
        } catch let error as DeadlineExceeded {
            return .failure(HealthProbeFailure(error.description))
        } catch {
            return .failure(HealthProbeFailure("\(error)"))
        }
    }
}
