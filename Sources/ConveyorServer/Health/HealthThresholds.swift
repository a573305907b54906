public import ConveyorCore

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
    public init(settings: Settings) throws(ValidationError) {
        self.init()
        func read(_ threshold: inout HealthThreshold, _ prefix: String) throws(ValidationError) {
            if let warn = try settings.bound(prefix + "_WARN") { threshold.warnAt = warn }
            if let fail = try settings.bound(prefix + "_FAIL") { threshold.failAt = fail }
        }
        func status(_ name: String) throws(ValidationError) -> HealthStatus? {
            guard let text = settings.text(name) else { return nil }
            guard let status = HealthStatus(rawValue: text.lowercased()) else {
                throw ValidationError(field: name, reason: "must be pass, warn or fail (got \(text.debugDescription))")
            }
            return status
        }
        try read(&databaseLatencyMs, "HEALTH_DATABASE_LATENCY_MS")
        try read(&liveWorkers, "HEALTH_LIVE_WORKERS")
        try read(&staleJobs, "HEALTH_STALE_JOBS")
        try read(&queueDepth, "HEALTH_QUEUE_DEPTH")
        try read(&oldestAvailableSeconds, "HEALTH_OLDEST_AVAILABLE_SECONDS")
        try read(&deadLetters, "HEALTH_DEAD_LETTERS")
        noLeader = try status("HEALTH_NO_LEADER") ?? noLeader
        rateLimiterFallback = try status("HEALTH_RATE_LIMITER_FALLBACK") ?? rateLimiterFallback
        if let milliseconds = try settings.integer("HEALTH_CHECK_TIMEOUT_MS", in: 1...60_000) {
            checkTimeout = .milliseconds(milliseconds)
        }
    }
}
