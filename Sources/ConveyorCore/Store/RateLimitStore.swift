/// RateLimitStore decides requests against their quota on the database, so that every process
/// sharing it counts against the same window.
public protocol RateLimitStore: Sendable {
    /// Decides one request of `key` by the sliding-window rule (`SlidingWindowLog`) as one atomic
    /// step on the database's own clock, outside any other transaction, so that every process
    /// sharing the database counts against the same window. A customer's own policy replaces
    /// `policy`. Only an allowed request is recorded.
    func rateLimit(_ key: RateLimitKey, policy: RateLimitPolicy) async throws -> RateLimitDecision

    /// The key with this prefix, as `apiKey(prefix:)`, and in the same round trip — only when it
    /// is a live customer key whose stored hash equals `secretHash`, so a wrong secret never spends
    /// a customer's quota — the decisions of `requests` requests of its customer, in turn, as that
    /// many calls of `rateLimit(_:policy:)` would make them but in one atomic step. Saves an
    /// authenticated, rate-limited request one round trip to the database, and concurrent requests
    /// with one key all but the first (`RateLimiter` decides them together).
    func apiKey(
        prefix: String, secretHash: String, deciding policy: RateLimitPolicy, requests: Int
    ) async throws -> KeyLookup

    /// Forgets the rate-limit state of keys with no request left in their window (they are as if
    /// new); returns how many keys were forgotten.
    func pruneRateLimits() async throws -> Int
}
