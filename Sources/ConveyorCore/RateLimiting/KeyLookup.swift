/// KeyLookup is what `JobStore.apiKey(prefix:secretHash:deciding:requests:)` finds in one round
/// trip: the key with a prefix, and the rate-limit decisions of its customer's requests when the
/// key is a live customer key whose hash matched.
public struct KeyLookup: Sendable, Hashable {
    /// The key with the prefix, revoked or not; nil when there is none.
    public let key: APIKey?
    /// The customer's decisions, one per request decided, in turn; empty when no quota was spent
    /// (no such key, a wrong secret, a revoked or an admin key).
    public let rateLimits: [RateLimitDecision]

    public init(key: APIKey?, rateLimits: [RateLimitDecision] = []) {
        self.key = key
        self.rateLimits = rateLimits
    }

    /// The decision of the first (or only) request.
    public var rateLimit: RateLimitDecision? { rateLimits.first }
}
