import ConveyorCore

/// AlertRule is a condition the dead-letter monitor watches.
public enum AlertRule: String, Sendable, Hashable, CaseIterable {
    /// The dead-letter queue holds more jobs than the threshold.
    case deadLetters = "dead_letters"
    /// More jobs of one customer's queue died in the last interval than the threshold.
    case newDeadLetters = "new_dead_letters"
    /// A queue's oldest ready job has waited longer than the threshold: workers are missing or stuck.
    case oldestAvailable = "oldest_available"
    /// More jobs were rescued from dead workers in the last interval than the threshold.
    case staleRescues = "stale_rescues"
}
