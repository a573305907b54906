public import Foundation

/// Customer is a tenant: it owns queues and jobs, and API keys that reach only its own.
public struct Customer: Sendable, Hashable, Codable {
    public let name: String
    public let createdAt: Date
    /// The customer's own rate limit; nil means the global default applies.
    public let rateLimit: RateLimitPolicy?
    /// The customer's weight in fair claiming: on a queue several customers wait on, each is served
    /// in proportion to its weight. Nil means the default, 1.
    public let weight: Double?

    /// The weights a customer may be given.
    public static let weights = 0.01...1000.0

    public init(name: String, createdAt: Date, rateLimit: RateLimitPolicy? = nil, weight: Double? = nil) {
        self.name = name
        self.createdAt = createdAt
        self.rateLimit = rateLimit
        self.weight = weight
    }

    /// Checks a weight a caller asked for.
    public static func validWeight(_ weight: Double, field: String = "weight") throws(ValidationError) -> Double {
        guard weight.isFinite, weights.contains(weight) else {
            throw ValidationError(field: field, reason: "must be a number from 0.01 to 1000 (got \(weight))")
        }
        return weight
    }

    enum CodingKeys: String, CodingKey {
        case name
        case createdAt = "created_at"
        case rateLimit = "rate_limit"
        case weight
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(createdAt, forKey: .createdAt)
        // Written as null, not left out: a reader sees that the default applies.
        try container.encode(rateLimit, forKey: .rateLimit)
        try container.encode(weight ?? 1, forKey: .weight)
    }
}
