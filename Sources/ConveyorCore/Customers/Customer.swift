public import Foundation

/// Customer is a tenant: it owns queues and jobs, and API keys that reach only its own.
public struct Customer: Sendable, Hashable, Codable {
    public let name: String
    public let createdAt: Date
    /// The customer's own rate limit; nil means the global default applies.
    public let rateLimit: RateLimitPolicy?

    public init(name: String, createdAt: Date, rateLimit: RateLimitPolicy? = nil) {
        self.name = name
        self.createdAt = createdAt
        self.rateLimit = rateLimit
    }

    enum CodingKeys: String, CodingKey {
        case name
        case createdAt = "created_at"
        case rateLimit = "rate_limit"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(createdAt, forKey: .createdAt)
        // Written as null, not left out: a reader sees that the default applies.
        try container.encode(rateLimit, forKey: .rateLimit)
    }
}
