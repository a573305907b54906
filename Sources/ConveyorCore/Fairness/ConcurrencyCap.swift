/// ConcurrencyCap bounds how many jobs run at once: on a queue whatever the customer (a `queue`
/// alone), of one customer on one queue (both), or of one customer across all its queues (a
/// `customer` alone). A claim counts the jobs running under every cap that binds a share as it
/// takes jobs from it, serialized with every other such claim on every host, so no number of
/// claimers passes a cap. A job stops counting the moment it stops running: completed, failed,
/// released, cancelled or rescued from a dead worker.
public struct ConcurrencyCap: Sendable, Hashable, Codable {
    public let queue: String?
    public let customer: String?
    public let maxRunning: Int

    /// The caps one may set; a cap of none is a pause (`PauseStore`).
    public static let maxRunningValues = 1...1_000_000

    public init(queue: String?, customer: String?, maxRunning: Int) {
        self.queue = queue
        self.customer = customer
        self.maxRunning = maxRunning
    }

    /// Checks a cap a caller asked for: a valid target (as a pause's) and a count in range, the
    /// count named `field` in the refusal.
    public static func valid(
        queue: String?, customer: String?, maxRunning: Int, field: String = "max_running"
    ) throws(ValidationError) -> ConcurrencyCap {
        let target = try Pause.validTarget(queue: queue, customer: customer)
        guard maxRunningValues.contains(maxRunning) else {
            throw ValidationError(field: field, reason: "must be a whole number from 1 to 1000000 (got \(maxRunning))")
        }
        return ConcurrencyCap(queue: target.queue, customer: target.customer, maxRunning: maxRunning)
    }

    /// Whether this cap counts the jobs of `customer` on `queue`.
    public func binds(queue: String, customer: String) -> Bool {
        (self.queue == nil || self.queue == queue) && (self.customer == nil || self.customer == customer)
    }

    enum CodingKeys: String, CodingKey {
        case queue, customer
        case maxRunning = "max_running"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // Written as null: "every queue" or "every customer" reads as such.
        try container.encode(queue, forKey: .queue)
        try container.encode(customer, forKey: .customer)
        try container.encode(maxRunning, forKey: .maxRunning)
    }
}

/// CapRoom is how many more jobs a claim may start from one share under the caps that bind it
/// (nil: no cap of that kind binds): `share` under all of them, `customer` under the customer's
/// caps across its queues, `queue` under the queue's caps for every customer. The last two are
/// shared with the claim's other shares of the same customer or queue.
public struct CapRoom: Sendable, Hashable {
    public var share: Int?
    public var customer: Int?
    public var queue: Int?

    public init(share: Int? = nil, customer: Int? = nil, queue: Int? = nil) {
        self.share = share
        self.customer = customer
        self.queue = queue
    }

    /// The room under `caps` for the jobs of `customer` on `queue`, given how many jobs run under
    /// each cap now.
    public init(queue: String, customer: String, caps: [ConcurrencyCap], running: (ConcurrencyCap) -> Int) {
        func least(_ binding: [ConcurrencyCap]) -> Int? {
            binding.map { max(0, $0.maxRunning - running($0)) }.min()
        }
        let binding = caps.filter { $0.binds(queue: queue, customer: customer) }
        self.init(
            share: least(binding), customer: least(binding.filter { $0.queue == nil }),
            queue: least(binding.filter { $0.customer == nil }))
    }
}
