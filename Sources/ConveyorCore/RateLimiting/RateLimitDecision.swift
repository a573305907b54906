/// RateLimitDecision is the answer for one request: allowed or not, and what the `RateLimit`
/// headers tell the client.
public struct RateLimitDecision: Sendable, Hashable {
    public let allowed: Bool
    /// The policy that decided (the customer's own, or the default).
    public let policy: RateLimitPolicy
    /// Requests left in the window after this one (the `r` of `RateLimit`).
    public let remaining: Int
    /// Whole seconds, rounded up, until the oldest request in the window leaves it and a unit of
    /// quota returns (the `t` of `RateLimit`; 0 when the window is empty). For a refused request
    /// this is also its `Retry-After`, so the two never disagree.
    public let secondsUntilQuotaReturns: Int

    public init(allowed: Bool, policy: RateLimitPolicy, remaining: Int, secondsUntilQuotaReturns: Int) {
        self.allowed = allowed
        self.policy = policy
        self.remaining = remaining
        self.secondsUntilQuotaReturns = secondsUntilQuotaReturns
    }

    /// The decision for a window holding `inWindow` accepted requests (the new one included when
    /// allowed), the oldest at `oldest` (milliseconds; nil when there is none), at `now`.
    public init(allowed: Bool, policy: RateLimitPolicy, inWindow: Int, oldest: Int64?, now: Int64) {
        let returns = oldest.map { oldest in
            // Rounded up: a client that waits this long finds the unit back.
            Int((oldest + policy.windowMilliseconds - now + 999) / 1000)
        }
        self.init(
            allowed: allowed, policy: policy, remaining: allowed ? max(policy.requests - inWindow, 0) : 0,
            secondsUntilQuotaReturns: allowed ? (returns ?? 0) : max(returns ?? policy.windowSeconds, 1))
    }
}
