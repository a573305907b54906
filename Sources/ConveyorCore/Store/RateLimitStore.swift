/// RateLimitStore decides requests against their quota on the database, so that every process
/// sharing it counts against the same window.
public protocol RateLimitStore: Sendable {
    /// Decides one request of `key` by the sliding-window rule (`SlidingWindowLog`) as one atomic
    /// step on the database's own clock, outside any other transaction, so that every process
    /// sharing the database counts against the same window. A customer's own policy replaces
    /// `policy`. Only an allowed request is recorded.
    func rateLimit(_ key: RateLimitKey, policy: RateLimitPolicy) async throws -> RateLimitDecision

    /// For each request, the key with its prefix, as `apiKey(prefix:)`, and — only when it is a
    /// live customer key whose stored hash equals the request's, so a wrong secret never spends a
    /// customer's quota — the decision of the request, as `rateLimit(_:policy:)` would make it;
    /// requests of one customer are decided in turn, in order. All in one round trip: it saves an
    /// authenticated, rate-limited request a round trip of its own, and `RateLimiter` decides the
    /// requests that arrive together in one.
    func apiKeys(_ requests: [KeyLookupRequest], deciding policy: RateLimitPolicy) async throws -> [KeyLookup]

    /// Forgets the rate-limit state of keys with no request left in their window (they are as if
    /// new); returns how many keys were forgotten.
    func pruneRateLimits() async throws -> Int
}
