import ConveyorCore

/// Alert is one condition that holds now: which rule, where (a customer's queue, or everywhere),
/// what was observed against which threshold, and — for dead jobs — their most frequent errors.
public struct Alert: Sendable, Hashable {
    public let rule: AlertRule
    public let customer: String?
    public let queue: String?
    public let observed: Double
    public let threshold: Double
    /// What `observed` counts: "dead jobs", "s", "rescues".
    public let unit: String
    /// The most frequent last errors, most frequent first (at most three).
    public let topErrors: [String]

    public init(
        rule: AlertRule, customer: String? = nil, queue: String? = nil, observed: Double, threshold: Double,
        unit: String, topErrors: [String] = []
    ) {
        self.rule = rule
        self.customer = customer
        self.queue = queue
        self.observed = observed
        self.threshold = threshold
        self.unit = unit
        self.topErrors = topErrors
    }

    /// What deduplicates notifications: the rule and where it holds.
    public var key: String {
        guard let customer else { return rule.rawValue }
        return "\(rule.rawValue):\(customer)/\(queue ?? "*")"
    }

    /// Where the condition holds, for people.
    public var scope: String {
        guard let customer else { return "all queues" }
        return "\(customer)/\(queue ?? "*")"
    }

    /// One sentence saying what holds.
    public var summary: String {
        let shown = JSONValue.text(of: observed)
        let bound = JSONValue.text(of: threshold)
        switch rule {
        case .deadLetters: return "\(shown) dead jobs in the dead-letter queue (threshold \(bound))"
        case .newDeadLetters: return "\(shown) jobs died in \(scope) in the last interval (threshold \(bound))"
        case .oldestAvailable:
            return
                "the oldest ready job in \(scope) has waited \(shown) s (threshold \(bound) s): are its workers running?"
        case .staleRescues:
            return "\(shown) jobs were rescued from dead workers in the last interval (threshold \(bound))"
        }
    }

    /// The command that replays what this alert is about, when it is about dead jobs.
    public var replayCommand: String? {
        switch rule {
        case .deadLetters: "conveyor dlq list, then conveyor dlq replay --all [--customer C] [--queue Q]"
        case .newDeadLetters:
            "conveyor dlq replay --all --customer \(customer ?? "C") --queue \(queue ?? "Q") (after fixing the cause)"
        case .oldestAvailable, .staleRescues: nil
        }
    }
}
