public import Foundation

/// Customer is a tenant: it owns queues and jobs, and API keys that reach only its own.
public struct Customer: Sendable, Hashable, Codable {
    public let name: String
    public let createdAt: Date

    public init(name: String, createdAt: Date) {
        self.name = name
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case name
        case createdAt = "created_at"
    }
}
