public import ConveyorCore

/// AlertThresholds say when each rule fires (nil: never), how often the monitor looks, and how long
/// a firing alert stays quiet before it is repeated.
public struct AlertThresholds: Sendable, Hashable {
    /// Dead jobs in all.
    public var deadLetters: Int? = 100
    /// Jobs of one customer's queue that died within one interval.
    public var newDeadLetters: Int? = 10
    /// Seconds a queue's oldest ready job has waited.
    public var oldestAvailableSeconds: Double? = 900
    /// Jobs rescued from dead workers within one interval.
    public var staleRescues: Int? = 5
    /// How often the monitor looks.
    public var interval = Duration.seconds(60)
    /// How long a firing alert is not repeated.
    public var cooldown = Duration.seconds(1800)

    /// The documented defaults.
    public init() {}

    /// The defaults, overridden by `ALERT_DEAD_LETTERS`, `ALERT_NEW_DEAD_LETTERS`,
    /// `ALERT_OLDEST_AVAILABLE_SECONDS`, `ALERT_STALE_RESCUES` (a number, or `off`),
    /// `DLQ_MONITOR_INTERVAL_SECONDS` and `ALERT_COOLDOWN_SECONDS`.
    public init(settings: Settings) throws(ValidationError) {
        self.init()
        func count(_ name: String, _ current: Int?) throws(ValidationError) -> Int? {
            guard let bound = try settings.bound(name) else { return current }
            return bound.map { Int($0) }
        }
        deadLetters = try count("ALERT_DEAD_LETTERS", deadLetters)
        newDeadLetters = try count("ALERT_NEW_DEAD_LETTERS", newDeadLetters)
        oldestAvailableSeconds = try settings.bound("ALERT_OLDEST_AVAILABLE_SECONDS") ?? oldestAvailableSeconds
        staleRescues = try count("ALERT_STALE_RESCUES", staleRescues)
        interval = try settings.seconds("DLQ_MONITOR_INTERVAL_SECONDS", in: 0.001...86_400) ?? interval
        cooldown = try settings.seconds("ALERT_COOLDOWN_SECONDS", in: 0.001...86_400) ?? cooldown
    }
}
