/// Caller is who an API key speaks for: one customer, or the admin who sees everything.
public enum Caller: Sendable, Hashable {
    case admin(keyID: String)
    case customer(String, keyID: String)

    public var isAdmin: Bool {
        if case .admin = self { true } else { false }
    }

    /// The customer a customer key speaks for; nil for an admin.
    public var customer: String? {
        if case .customer(let name, _) = self { name } else { nil }
    }

    /// The id of the key the caller presented.
    public var keyID: String {
        switch self {
        case .admin(let keyID), .customer(_, let keyID): keyID
        }
    }

    /// Whether the caller may see what belongs to `customer`. Another customer's things are
    /// answered with 404, never 403, so that their existence does not leak.
    public func canSee(customer: String) -> Bool {
        switch self {
        case .admin: true
        case .customer(let own, _): own == customer
        }
    }
}
