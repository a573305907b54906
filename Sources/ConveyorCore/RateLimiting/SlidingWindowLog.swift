/// SlidingWindowLog is the rate-limit rule, as pure logic: a request is allowed when fewer than
/// `policy.requests` requests were accepted in the `policy.windowSeconds` seconds before it, and
/// only an allowed request is recorded (a refused one spends no quota). The SQLite store and the
/// in-memory fallback run it as is; PostgreSQL runs the same rule as one SQL statement.
public enum SlidingWindowLog {
    /// Decides a request at `now` (milliseconds) against a key's accepted request times; returns
    /// the decision and the times to keep (those still in the window, plus `now` when allowed).
    public static func decide(
        hits: [Int64], now: Int64, policy: RateLimitPolicy
    ) -> (decision: RateLimitDecision, hits: [Int64]) {
        var kept = hits.filter { $0 > now - policy.windowMilliseconds }
        let allowed = kept.count < policy.requests
        if allowed { kept.append(now) }
        return (RateLimitDecision(allowed: allowed, policy: policy, hits: kept, now: now), kept)
    }
}
