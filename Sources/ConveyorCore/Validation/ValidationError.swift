/// ValidationError says which input was rejected and why, in words a user can act on. Nothing that
/// fails validation reaches a store.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of rejection this is; the HTTP layer maps `.tooLarge` to 413 and the rest to 422.
    public enum Status: Sendable, Hashable {
        case invalid
        case tooLarge
    }

    /// The offending field, as the user named it (`queue`, `payload`, `max_attempts`…).
    public let field: String
    /// What is wrong with it, phrased to follow the field name.
    public let reason: String
    /// The kind of rejection.
    public let status: Status

    /// Creates a validation error.
    public init(field: String, reason: String, status: Status = .invalid) {
        self.field = field
        self.reason = reason
        self.status = status
    }

    public var description: String { "\(field) \(reason)" }
}
