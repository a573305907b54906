/// ClaimRequest asks for up to `limit` claimable jobs from some queues, leased for `lease`. Jobs are
/// taken in order of priority (0 first), then `run_at`, then id.
public struct ClaimRequest: Sendable, Hashable {
    /// The allowed batch sizes.
    public static let limits = 1...1000
    /// The shortest and longest lease a claim may ask for.
    public static let leases = Duration.seconds(1)...Duration.seconds(24 * 3600)
    /// The most distinct queues one claim may name: a claim's work grows with its queues.
    public static let maxQueues = 100

    public let queues: [String]
    /// Restricts the claim to one customer's jobs; nil takes any customer's.
    public let customer: String?
    public let limit: Int
    public let lease: Duration
    public let workerID: String?

    /// Validates the request.
    public init(
        queues: [String], customer: String? = nil, limit: Int = 1, lease: Duration = .seconds(30),
        workerID: String? = nil
    )
        throws(ValidationError)
    {
        guard !queues.isEmpty else { throw ValidationError(field: "queues", reason: "must name at least one queue") }
        var named: [String] = []
        for name in queues where !named.contains(name) {
            // The HTTP claim route refuses Conveyor's own queue before it gets here.
            named.append(try NameRules.workerQueue(name, field: "queues"))
            guard named.count <= ClaimRequest.maxQueues else {
                throw ValidationError(
                    field: "queues", reason: "must name at most \(ClaimRequest.maxQueues) distinct queues")
            }
        }
        self.queues = named
        self.customer = try customer.map { name throws(ValidationError) in try NameRules.customer(name) }
        guard ClaimRequest.limits.contains(limit) else {
            throw ValidationError(field: "max", reason: "must be between 1 and 1000 (got \(limit))")
        }
        self.limit = limit
        guard ClaimRequest.leases.contains(lease) else {
            throw ValidationError(field: "lease_seconds", reason: "must be between 1 and 86400 seconds")
        }
        self.lease = lease
        self.workerID = workerID
    }
}
