public import ConveyorCore
public import Logging
public import ServiceLifecycle

/// RetentionPruner applies the retention policy on the elected leader every `interval`: finished
/// jobs past their age, dead jobs past their age or beyond the count, expired idempotency keys,
/// job events past theirs.
/// It runs inside `conveyor serve` and `conveyor monitor dlq`; `conveyor dlq prune` does one pass.
public struct RetentionPruner: Service {
    /// The maintenance role leadership is sought for.
    public static let role = "retention-pruner"

    let store: any RetentionStore & LeaderElector & EventStore
    let policy: RetentionPolicy
    let interval: Duration
    let logger: Logger

    /// Creates the pruner; `interval` defaults to five minutes.
    public init(
        store: any RetentionStore & LeaderElector & EventStore, policy: RetentionPolicy,
        interval: Duration = .seconds(300),
        logger: Logger = Logger(label: "conveyor.retention")
    ) {
        self.store = store
        self.policy = policy
        self.interval = interval
        self.logger = logger
    }

    /// `RETENTION_INTERVAL_SECONDS` (default 300).
    public static func interval(settings: Settings) throws(ValidationError) -> Duration {
        try settings.seconds("RETENTION_INTERVAL_SECONDS", in: 0.001...86_400) ?? .seconds(300)
    }

    public func run() async throws {
        let store = self.store
        let policy = self.policy
        let logger = self.logger
        try await LeaderLoop(role: Self.role, store: store, interval: interval, logger: logger).run {
            let report = try await store.prune(policy)
            let events = try await store.pruneEvents(olderThan: policy.events)
            if events > 0 { logger.debug("job events pruned by retention", metadata: ["events": "\(events)"]) }
            if report.total > 0 {
                logger.info(
                    "pruned by retention",
                    metadata: [
                        "completed": "\(report.completed)", "cancelled": "\(report.cancelled)",
                        "dead": "\(report.dead)",
                    ])
            }
        }
    }
}
