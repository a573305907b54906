/// KeyLookup is what `JobStore.apiKey(prefix:secretHash:deciding:)` finds in one round trip: the
/// key with a prefix, and the rate-limit decision of its customer's request when the key is a
/// live customer key whose hash matched.
public struct KeyLookup: Sendable, Hashable {
    /// The key with the prefix, revoked or not; nil when there is none.
    public let key: APIKey?
    /// The customer's decision; nil when no quota was spent (no such key, a wrong secret, a revoked
    /// or an admin key).
    public let rateLimit: RateLimitDecision?

    public init(key: APIKey?, rateLimit: RateLimitDecision?) {
        self.key = key
        self.rateLimit = rateLimit
    }
}
