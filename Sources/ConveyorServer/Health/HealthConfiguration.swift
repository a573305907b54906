public import ConveyorCore

/// HealthConfiguration is what `/api/health` and `/readyz` need besides the store: the thresholds,
/// the version to report, how to learn whether migrations are pending (engine-specific, so given by
/// the caller), and how long to keep answering not-ready before the server stops on shutdown.
public struct HealthConfiguration: Sendable {
    public var thresholds: HealthThresholds
    public var version: String
    /// The maintenance role whose leader health reports.
    public var leaderRole: String
    /// Names of bundled migrations not applied to the database.
    public var pendingMigrations: @Sendable () async throws -> [String]
    /// On graceful shutdown, how long `/readyz` answers 503 while the server still serves, so that a
    /// load balancer stops sending before the listener closes (`SHUTDOWN_DRAIN_SECONDS`, default 3).
    public var drainDelay: Duration
    /// How long a computed report is reused, so that health polling cannot load the database
    /// (default 1 s; 0 computes every time).
    public var reuseFor: Duration
    /// How long `/api/health` and `/metrics` wait for a key's lookup before answering as for no
    /// key (they must answer with the database gone; default 1 s).
    public var keyLookup: Duration

    /// Creates a configuration.
    public init(
        thresholds: HealthThresholds = .init(), version: String, leaderRole: String,
        pendingMigrations: @escaping @Sendable () async throws -> [String] = { [] },
        drainDelay: Duration = .seconds(3), reuseFor: Duration = .seconds(1), keyLookup: Duration = .seconds(1)
    ) {
        self.keyLookup = keyLookup
        self.thresholds = thresholds
        self.version = version
        self.leaderRole = leaderRole
        self.pendingMigrations = pendingMigrations
        self.drainDelay = drainDelay
        self.reuseFor = reuseFor
    }

    /// Reads `SHUTDOWN_DRAIN_SECONDS` and the `HEALTH_*` thresholds over the defaults.
    public init(
        settings: Settings, version: String, leaderRole: String,
        pendingMigrations: @escaping @Sendable () async throws -> [String]
    ) throws(ValidationError) {
        self.init(
            thresholds: try HealthThresholds(settings: settings), version: version, leaderRole: leaderRole,
            pendingMigrations: pendingMigrations)
        if let drain = try settings.seconds("SHUTDOWN_DRAIN_SECONDS", in: 0...300) {
            drainDelay = drain
        }
    }
}
