public import ConveyorCore
public import Logging
public import ServiceLifecycle

/// StaleJobRescuer gives back the jobs of workers that died: every `interval`, on the elected
/// leader only, it rescues running jobs whose lease expired more than `grace` ago — `retryable`
/// when attempts remain, else `dead` with reason `stale` (see `Job.rescueStale`). It runs inside
/// `conveyor monitor stale` and in every `conveyor serve` and `conveyor work` (`MaintenanceServices`).
public struct StaleJobRescuer: Service {
    /// The maintenance role leadership is sought for.
    public static let role = "stale-job-rescuer"

    /// The rescuer's interval and grace from `STALE_INTERVAL_SECONDS` (default 5, at most 10: a
    /// dead worker's jobs should not wait longer than a lease plus this) and `STALE_GRACE_SECONDS`
    /// (default 10).
    public static func settings(
        settings: Settings
    ) throws(ValidationError) -> (interval: Duration, grace: Duration) {
        return (
            try settings.seconds("STALE_INTERVAL_SECONDS", in: 0.01...10) ?? .seconds(5),
            try settings.seconds("STALE_GRACE_SECONDS", in: 0...3600) ?? .seconds(10)
        )
    }

    let store: any StaleJobStore & LeaderElector
    let interval: Duration
    let grace: Duration
    let onRescue: (@Sendable ([Job]) -> Void)?
    let logger: Logger

    /// Creates the rescuer; `interval` defaults to 5 s and `grace` to 10 s.
    public init(
        store: any StaleJobStore & LeaderElector, interval: Duration = .seconds(5), grace: Duration = .seconds(10),
        onRescue: (@Sendable ([Job]) -> Void)? = nil, logger: Logger = Logger(label: "conveyor.stale")
    ) {
        self.store = store
        self.interval = interval
        self.grace = grace
        self.onRescue = onRescue
        self.logger = logger
    }

    public func run() async throws {
        let store = self.store
        let grace = self.grace
        let onRescue = self.onRescue
        let logger = self.logger
        try await LeaderLoop(role: Self.role, store: store, interval: interval, logger: logger).run {
            let rescued = try await store.rescueStaleJobs(grace: grace)
            for job in rescued {
                logger.warning("rescued a stale job: its worker stopped heartbeating", metadata: job.logMetadata)
            }
            onRescue?(rescued)
        }
    }
}
