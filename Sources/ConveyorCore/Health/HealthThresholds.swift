/// HealthThresholds are the bounds that turn each health check to warn or fail, and how long a
/// check may take. Defaults (documented in the README) flag what needs a person without failing the
/// service for what is only a backlog: only an unreachable or very slow database fails by default.
public struct HealthThresholds: Sendable, Hashable {
    /// The database's round trip, in milliseconds.
    public var databaseLatencyMs = HealthThreshold.above(warn: 100, fail: 1000)
    /// Workers that heartbeated within `workerLiveness`.
    public var liveWorkers = HealthThreshold.below(warn: 1, fail: nil)
    /// Running jobs whose lease expired.
    public var staleJobs = HealthThreshold.above(warn: 1, fail: nil)
    /// Jobs ready to run in one queue.
    public var queueDepth = HealthThreshold.above(warn: 10_000, fail: nil)
    /// How long the oldest ready job of one queue has waited, in seconds.
    public var oldestAvailableSeconds = HealthThreshold.above(warn: 300, fail: nil)
    /// Dead jobs in all.
    public var deadLetters = HealthThreshold.above(warn: 1_000, fail: nil)
    /// The status when no process leads maintenance (stale jobs are then not rescued).
    public var noLeader = HealthStatus.warn
    /// The status while the rate limiter decides from memory (each node on its own).
    public var rateLimiterFallback = HealthStatus.warn
    /// How long each check may take before it counts as failed (database) or unmeasured (the rest).
    public var checkTimeout = Duration.seconds(2)
    /// How recent a worker's heartbeat must be for it to count as alive.
    public var workerLiveness = Duration.seconds(15)

    /// The documented defaults.
    public init() {}

    /// The defaults, overridden by `HEALTH_*` settings: for each measured check `…_WARN` and `…_FAIL`
    /// (a number, or `off` for never), `HEALTH_NO_LEADER` and `HEALTH_RATE_LIMITER_FALLBACK` (pass,
    /// warn or fail), and `HEALTH_CHECK_TIMEOUT_MS`.
    public init(environment: [String: String]) throws(ValidationError) {
        self.init()
        try Self.read(&databaseLatencyMs, "HEALTH_DATABASE_LATENCY_MS", environment)
        try Self.read(&liveWorkers, "HEALTH_LIVE_WORKERS", environment)
        try Self.read(&staleJobs, "HEALTH_STALE_JOBS", environment)
        try Self.read(&queueDepth, "HEALTH_QUEUE_DEPTH", environment)
        try Self.read(&oldestAvailableSeconds, "HEALTH_OLDEST_AVAILABLE_SECONDS", environment)
        try Self.read(&deadLetters, "HEALTH_DEAD_LETTERS", environment)
        noLeader = try Self.status("HEALTH_NO_LEADER", environment) ?? noLeader
        rateLimiterFallback = try Self.status("HEALTH_RATE_LIMITER_FALLBACK", environment) ?? rateLimiterFallback
        if let text = environment["HEALTH_CHECK_TIMEOUT_MS"] {
            guard let milliseconds = Int(text.trimmingCharacters(in: .whitespaces)), (1...60_000).contains(milliseconds)
            else {
                throw ValidationError(
                    field: "HEALTH_CHECK_TIMEOUT_MS",
                    reason: "must be a whole number from 1 to 60000 (got \(text.debugDescription))")
            }
            checkTimeout = .milliseconds(milliseconds)
        }
    }

    private static func status(_ name: String, _ environment: [String: String]) throws(ValidationError) -> HealthStatus?
    {
        guard let text = environment[name] else { return nil }
        guard let status = HealthStatus(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw ValidationError(field: name, reason: "must be pass, warn or fail (got \(text.debugDescription))")
        }
        return status
    }

    private static func read(
        _ threshold: inout HealthThreshold, _ prefix: String, _ environment: [String: String]
    ) throws(ValidationError) {
        func bound(_ name: String) throws(ValidationError) -> Double?? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces) else { return .none }
            if text.lowercased() == "off" { return .some(nil) }
            guard let value = Double(text), value.isFinite, value >= 0 else {
                throw ValidationError(
                    field: name, reason: "must be a number of zero or more, or off (got \(text.debugDescription))")
            }
            return .some(value)
        }
        if let warn = try bound(prefix + "_WARN") { threshold.warnAt = warn }
        if let fail = try bound(prefix + "_FAIL") { threshold.failAt = fail }
    }
}
