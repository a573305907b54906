public import ConveyorCore
public import Logging
public import ServiceLifecycle

/// Scheduler makes the jobs of customers' schedules at their ticks. It runs in every `serve` and
/// `work` (`MaintenanceServices`) on the elected leader, and wakes at the earliest next tick (or
/// after `longestSleep`, to see schedules made or changed elsewhere). Being the only scheduler is
/// not what keeps a tick to one job — a failover can leave two running for a moment — the store's
/// compare-and-set on each schedule's next tick is (`ScheduleStore.fireSchedules`); a scheduler
/// killed mid-pass leaves nothing half made, since a firing is one transaction.
public final class Scheduler: Service, Sendable {
    /// The maintenance role leadership is sought for.
    public static let role = "scheduler"
    /// The longest one pass may take before it is given up and tried again.
    static let callLimit = Duration.seconds(30)
    public typealias Store = ScheduleStore & LeaderElector

    let store: any Store
    let clock: any WallClock
    /// Schedules fired per transaction.
    let batch: Int
    let longestSleep: Duration
    let onFire: (@Sendable ([Job]) -> Void)?
    /// Told how long each pass took (its database time: the pass is its store calls) and how
    /// many jobs it made; for benchmarks.
    let onPass: (@Sendable (Duration, Int) -> Void)?
    let logger: Logger

    /// Creates a scheduler firing up to `batch` schedules per transaction, looking at least every
    /// `longestSleep` for schedules other processes made.
    public init(
        store: any Store, clock: any WallClock = SystemClock(), batch: Int = 500, longestSleep: Duration = .seconds(1),
        onFire: (@Sendable ([Job]) -> Void)? = nil, onPass: (@Sendable (Duration, Int) -> Void)? = nil,
        logger: Logger = Logger(label: "conveyor.scheduler")
    ) {
        self.store = store
        self.clock = clock
        self.batch = batch
        self.longestSleep = longestSleep
        self.onFire = onFire
        self.onPass = onPass
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.store.lead(Self.role, retry: .seconds(1)) {
                self.logger.info("became the leader", metadata: ["role": .string(Self.role)])
                defer { self.logger.info("no longer the leader", metadata: ["role": .string(Self.role)]) }
                try await self.schedule()
            }
        }
    }

    /// Fires what is due until cancelled; a failing pass is logged once per run of failures.
    func schedule() async throws {
        var failing = false
        while !Task.isCancelled {
            do {
                // Bounded, and given up at once on shutdown: a query a dead database never answers
                // must not hold the process (see `abandoning`).
                let more = try await abandoning(after: Self.callLimit) { try await self.pass().more }
                failing = false
                if more { continue }
                let next = try await abandoning(after: Self.callLimit) { try await self.store.nextScheduleTick() }
                let until = next.map { max(.zero, Duration.seconds($0.timeIntervalSince(self.clock.now()))) }
                try await Task.sleep(for: min(until ?? longestSleep, longestSleep))
            } catch is CancellationError {
                return
            } catch {
                if !failing { logger.error("scheduling failed; retrying", metadata: ["error": "\(error)"]) }
                failing = true
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// One pass: fires the schedules due now, `batch` at most. Returns the jobs made and whether
    /// more schedules may be due.
    @discardableResult
    public func pass() async throws -> (made: [Job], more: Bool) {
        let started = ContinuousClock.now
        let (due, now) = try await store.dueSchedules(limit: batch)
        let made = try await store.fireSchedules(due.compactMap { $0.firing(at: now) })
        onPass?(ContinuousClock.now - started, made.count)
        if !made.isEmpty {
            logger.debug("scheduled jobs made", metadata: ["count": "\(made.count)"])
            onFire?(made)
        }
        return (made, due.count == batch)
    }
}
