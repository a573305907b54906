/// SlidingWindowLog is the rate-limit rule, as pure logic: a request is allowed when fewer than
/// `policy.requests` requests were accepted in the `policy.windowSeconds` seconds before it, and
/// only an allowed request is recorded (a refused one spends no quota).
///
/// The log is kept as a count per distinct millisecond, oldest first, with their total: a
/// decision drops the milliseconds that left the window (each is dropped once, so this is
/// constant time on average), compares the total with the quota, and adds one to the newest
/// millisecond. What a decision costs does not depend on the quota, which may be as large as a
/// big customer needs. The in-memory fallback keeps the log itself; the stores keep the same log
/// as rows (a count per key and millisecond, and each key's total) and apply `decide(inWindow:…)`
/// — PostgreSQL as one SQL function, the same rule.
public struct SlidingWindowLog: Sendable, Hashable {
    /// The milliseconds with accepted requests, oldest first, from `start` on.
    private var times: [Int64] = []
    private var counts: [Int] = []
    private var start = 0
    /// Accepted requests in the log (those of milliseconds not yet dropped).
    public private(set) var inWindow = 0

    public init() {}

    /// The newest accepted request's time, nil when none is kept.
    public var newest: Int64? { start < times.count ? times.last : nil }

    /// Decides a request at `now` (milliseconds) and records it when allowed.
    public mutating func decide(now: Int64, policy: RateLimitPolicy) -> RateLimitDecision {
        let cutoff = now - policy.windowMilliseconds
        while start < times.count && times[start] <= cutoff {
            inWindow -= counts[start]
            start += 1
        }
        // Dropped entries are reclaimed once they are half the storage, so memory follows the window.
        if start > 64 && start * 2 > times.count {
            times.removeFirst(start)
            counts.removeFirst(start)
            start = 0
        }
        let decision = Self.decide(
            inWindow: inWindow, oldest: start < times.count ? times[start] : nil, now: now, policy: policy)
        if decision.allowed {
            inWindow += 1
            if let last = times.last, start < times.count, last >= now {
                // A request no later than the newest (a clock that stepped back) joins the newest
                // millisecond, so the log stays in order.
                counts[counts.count - 1] += 1
            } else {
                times.append(now)
                counts.append(1)
            }
        }
        return decision
    }

    /// The rule itself, for a key holding `inWindow` accepted requests in the window before `now`
    /// (the expired ones already dropped), the oldest at `oldest`: allowed when the window has room.
    /// The decision counts the new request when allowed.
    public static func decide(inWindow: Int, oldest: Int64?, now: Int64, policy: RateLimitPolicy) -> RateLimitDecision {
        let allowed = inWindow < policy.requests
        return RateLimitDecision(
            allowed: allowed, policy: policy, inWindow: allowed ? inWindow + 1 : inWindow,
            oldest: oldest ?? (allowed ? now : nil), now: now)
    }

    /// How many of `requests` requests arriving together the rule allows, for a key holding
    /// `inWindow` accepted requests: as many as the window has room for.
    public static func allowed(_ requests: Int, inWindow: Int, policy: RateLimitPolicy) -> Int {
        max(0, min(requests, policy.requests - inWindow))
    }

    /// The decisions of `requests` requests decided together, in turn, as if one after another:
    /// the first `allowed(_:inWindow:policy:)` are allowed, each seeing the ones before it in the
    /// window, and the rest refused. What a store applies when it decides a batch in one step.
    public static func decide(
        _ requests: Int, inWindow: Int, oldest: Int64?, now: Int64, policy: RateLimitPolicy
    ) -> [RateLimitDecision] {
        let allowed = allowed(requests, inWindow: inWindow, policy: policy)
        return (0..<requests).map { turn in
            decide(inWindow: inWindow + min(turn, allowed), oldest: oldest, now: now, policy: policy)
        }
    }
}
