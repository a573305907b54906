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
    public init(environment: [String: String]) throws(ValidationError) {
        self.init()
        func bound(_ name: String, _ current: Double?) throws(ValidationError) -> Double? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces) else { return current }
            if text.lowercased() == "off" { return nil }
            guard let value = Double(text), value.isFinite, value >= 0 else {
                throw ValidationError(
                    field: name, reason: "must be a number of zero or more, or off (got \(text.debugDescription))")
            }
            return value
        }
        func seconds(_ name: String, _ current: Duration) throws(ValidationError) -> Duration {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces) else { return current }
            guard let value = Double(text), value.isFinite, value > 0, value <= 86_400 else {
                throw ValidationError(
                    field: name,
                    reason: "must be a number of seconds above 0, at most 86400 (got \(text.debugDescription))")
            }
            return .milliseconds(Int64(value * 1000))
        }
        deadLetters = try bound("ALERT_DEAD_LETTERS", deadLetters.map(Double.init)).map { Int($0) }
        newDeadLetters = try bound("ALERT_NEW_DEAD_LETTERS", newDeadLetters.map(Double.init)).map { Int($0) }
        oldestAvailableSeconds = try bound("ALERT_OLDEST_AVAILABLE_SECONDS", oldestAvailableSeconds)
        staleRescues = try bound("ALERT_STALE_RESCUES", staleRescues.map(Double.init)).map { Int($0) }
        interval = try seconds("DLQ_MONITOR_INTERVAL_SECONDS", interval)
        cooldown = try seconds("ALERT_COOLDOWN_SECONDS", cooldown)
    }
}
