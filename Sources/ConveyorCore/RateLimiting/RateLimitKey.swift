/// RateLimitKey is whose quota a request spends: its customer's when it came with a customer key,
/// its client address's otherwise — and a customer's worker quota for its claims, which is
/// separate from its request quota.
public enum RateLimitKey: Sendable, Hashable, CustomStringConvertible {
    case customer(String)
    case client(address: String)
    case worker(String)

    /// The key as stored (`customer:acme`, `client:192.0.2.7`).
    public var description: String {
        switch self {
        case .customer(let name): "customer:\(name)"
        case .client(let address): "client:\(address)"
        case .worker(let name): "worker:\(name)"
        }
    }

    /// The customer whose own policy, if it has one, replaces the default (worker quotas have
    /// none of their own).
    public var customer: String? {
        if case .customer(let name) = self { name } else { nil }
    }
}
