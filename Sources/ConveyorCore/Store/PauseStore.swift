public import Foundation

/// Pause stops claims — never enqueues, never running jobs — on a queue for every customer (a
/// `queue` alone), on one customer's queue (both), or on all of one customer's queues (a
/// `customer` alone).
public struct Pause: Sendable, Hashable, Codable {
    public let queue: String?
    public let customer: String?
    public let pausedAt: Date

    public init(queue: String?, customer: String?, pausedAt: Date) {
        self.queue = queue
        self.customer = customer
        self.pausedAt = pausedAt
    }

    /// Checks what a caller asked to pause: a valid queue, customer or both, not neither.
    public static func validTarget(
        queue: String?, customer: String?
    ) throws(ValidationError) -> (queue: String?, customer: String?) {
        guard queue != nil || customer != nil else {
            throw ValidationError(field: "queue", reason: "name a queue, a customer, or both")
        }
        return (
            try queue.map { name throws(ValidationError) in try NameRules.queue(name) },
            try customer.map { name throws(ValidationError) in try NameRules.customer(name) }
        )
    }

    /// Whether this pause holds back the jobs of `customer` on `queue`.
    public func holds(queue: String, customer: String) -> Bool {
        (self.queue == nil || self.queue == queue) && (self.customer == nil || self.customer == customer)
    }

    enum CodingKeys: String, CodingKey {
        case queue, customer
        case pausedAt = "paused_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // Written as null: "every queue" or "every customer" reads as such.
        try container.encode(queue, forKey: .queue)
        try container.encode(customer, forKey: .customer)
        try container.encode(pausedAt, forKey: .pausedAt)
    }
}

/// PauseStore holds the pauses claims obey. Pausing takes effect at the next claim on every host;
/// resuming rings the queues' wakeups (on PostgreSQL, every host's), so idle workers claim at once.
public protocol PauseStore: Sendable {
    /// Pauses claims on `queue`, for `customer`, or both; pausing again keeps the first time.
    func pause(queue: String?, customer: String?) async throws -> Pause

    /// Lifts the pause of exactly this target; false if there was none.
    func resume(queue: String?, customer: String?) async throws -> Bool

    /// Every pause, by queue then customer (every-queue and every-customer first).
    func pauses() async throws -> [Pause]
}
