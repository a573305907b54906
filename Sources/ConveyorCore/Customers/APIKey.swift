public import Foundation

/// APIKey is a stored key: who it speaks for, the visible prefix it is looked up by and shown as,
/// and the SHA-256 of the whole key. The key itself is never stored; it is shown once, when made.
public struct APIKey: Sendable, Hashable {
    public let id: String
    /// The customer whose jobs the key reaches; nil for an admin key, which reaches everything.
    public let customer: String?
    /// The key's first characters (`cvk_` and eight more): unique, shown in listings and logs.
    public let prefix: String
    /// SHA-256 of the whole key, lower-case hex.
    public let secretHash: String
    public let createdAt: Date
    public let revokedAt: Date?

    public init(id: String, customer: String?, prefix: String, secretHash: String, createdAt: Date, revokedAt: Date?) {
        self.id = id
        self.customer = customer
        self.prefix = prefix
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    public var isAdmin: Bool { customer == nil }
    public var isRevoked: Bool { revokedAt != nil }

    /// Whether `secret` is this key: the hashes compared in constant time, and not revoked.
    public func accepts(_ secret: String) -> Bool {
        accepts(secretHash: APIKeySecret.hash(secret))
    }

    /// `accepts(_:)` for a secret already hashed (`APIKeySecret.hash`), so a request hashes once.
    public func accepts(secretHash presented: String) -> Bool {
        !isRevoked && APIKeySecret.hashesMatch(presented, secretHash)
    }
}

/// NewAPIKey is a key about to be stored: made by `APIKeySecret.generate`, which also returns
/// the secret to show once.
public struct NewAPIKey: Sendable, Hashable {
    public let id: String
    public let customer: String?
    public let prefix: String
    public let secretHash: String

    public init(id: String, customer: String?, prefix: String, secretHash: String) {
        self.id = id
        self.customer = customer
        self.prefix = prefix
        self.secretHash = secretHash
    }
}
