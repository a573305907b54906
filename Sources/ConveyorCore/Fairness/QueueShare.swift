/// QueueShare is one customer's share of one queue, as a claim sees it: the virtual time (`pass`)
/// of its next job and the customer's weight. Claims serve the shares in order of pass and add
/// 1/weight to a share's pass for each job they take from it, so that over time each customer
/// with waiting jobs is served in proportion to its weight (stride scheduling). See `FairClaim`.
public struct QueueShare: Sendable, Hashable {
    public let queue: String
    public let customer: String
    public let pass: Double
    public let weight: Double

    public init(queue: String, customer: String, pass: Double, weight: Double) {
        self.queue = queue
        self.customer = customer
        self.pass = pass
        self.weight = weight
    }

    /// The virtual time of this share's job at `index` (0: its next).
    public func tag(ofJobAt index: Int) -> Double {
        pass + Double(index) / weight
    }

    /// The pass after `taken` jobs were claimed from this share.
    public func pass(after taken: Int) -> Double {
        pass + Double(taken) / weight
    }
}
