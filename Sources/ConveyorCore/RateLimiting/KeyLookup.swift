/// KeyLookup is what `RateLimitStore.apiKeys(_:deciding:)` finds for one request in one round
/// trip: the key with its prefix, and the rate-limit decision of the request when the key is a
/// live customer key whose hash matched.
public struct KeyLookup: Sendable, Hashable {
    /// The key with the prefix, revoked or not; nil when there is none.
    public let key: APIKey?
    /// The customer's decision; nil when no quota was spent (no such key, a wrong secret, a revoked
    /// or an admin key).
    public let rateLimit: RateLimitDecision?

    public init(key: APIKey?, rateLimit: RateLimitDecision? = nil) {
        self.key = key
        self.rateLimit = rateLimit
    }
}

/// KeyLookupRequest is one request's key as presented: its prefix and the hash of its secret.
public struct KeyLookupRequest: Sendable, Hashable {
    public let prefix: String
    public let secretHash: String

    public init(prefix: String, secretHash: String) {
        self.prefix = prefix
        self.secretHash = secretHash
    }
}

extension [KeyLookupRequest] {
    /// The distinct requests in order of first appearance, each with how many times it appears:
    /// what a store decides, one decision step per distinct key, for as many requests.
    public var grouped: [(request: KeyLookupRequest, count: Int)] {
        var order: [KeyLookupRequest] = []
        var counts: [KeyLookupRequest: Int] = [:]
        for request in self {
            if counts[request] == nil { order.append(request) }
            counts[request, default: 0] += 1
        }
        return order.map { ($0, counts[$0] ?? 0) }
    }

    /// The lookups of these requests, in order, from each distinct request's key and decisions
    /// (as many as it appears, in turn; none when no quota was spent).
    public func distributing(_ found: [KeyLookupRequest: (key: APIKey?, decisions: [RateLimitDecision])]) -> [KeyLookup]
    {
        var turns: [KeyLookupRequest: Int] = [:]
        return map { request in
            let turn = turns[request, default: 0]
            turns[request] = turn + 1
            guard let (key, decisions) = found[request] else { return KeyLookup(key: nil) }
            return KeyLookup(key: key, rateLimit: turn < decisions.count ? decisions[turn] : nil)
        }
    }
}
