import ConveyorCore

/// HealthStatus is a check's or the whole service's verdict in the health-check draft's words:
/// `pass` (healthy), `warn` (healthy, with a concern an operator should look at), `fail`
/// (unhealthy). Ordered from best to worst, so a report's status is the worst of its checks.
public enum HealthStatus: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
    case pass
    case warn
    case fail

    public static func < (lhs: HealthStatus, rhs: HealthStatus) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        }
    }
}
