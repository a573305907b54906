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
    /// The most jobs the customer may have waiting, over all its queues; nil means the global
    /// setting applies (`JobStoreOptions.backlogQuota`, off by default).
    public let backlogQuota: Int?

    /// The weights a customer may be given.
    public static let weights = 0.01...1000.0
    /// The backlog quotas a customer may be given.
    public static let backlogQuotas = 1...1_000_000_000

    public init(
        name: String, createdAt: Date, rateLimit: RateLimitPolicy? = nil, weight: Double? = nil,
        backlogQuota: Int? = nil
    ) {
        self.name = name
        self.createdAt = createdAt
        self.rateLimit = rateLimit
        self.weight = weight
        self.backlogQuota = backlogQuota
    }

    /// Checks a weight a caller asked for.
    public static func validWeight(_ weight: Double, field: String = "weight") throws(ValidationError) -> Double {
        guard weight.isFinite, weights.contains(weight) else {
            throw ValidationError(field: field, reason: "must be a number from 0.01 to 1000 (got \(weight))")
        }
        return weight
    }

    /// Checks a backlog quota a caller asked for.
    public static func validBacklogQuota(_ quota: Int, field: String = "backlog_quota") throws(ValidationError) -> Int {
        guard backlogQuotas.contains(quota) else {
            throw ValidationError(field: field, reason: "must be a whole number from 1 to 1000000000 (got \(quota))")
        }
        return quota
    }

    enum CodingKeys: String, CodingKey {
        case name
        case createdAt = "created_at"
        case rateLimit = "rate_limit"
        case weight
        case backlogQuota = "backlog_quota"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(createdAt, forKey: .createdAt)
        // Written as null, not left out: a reader sees that the default applies.
        try container.encode(rateLimit, forKey: .rateLimit)
        try container.encode(weight ?? 1, forKey: .weight)
        try container.encode(backlogQuota, forKey: .backlogQuota)
    }
}
