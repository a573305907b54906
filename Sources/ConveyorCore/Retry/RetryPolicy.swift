import Foundation

/// RetryPolicy computes how long a failed job waits before its next attempt: exponential growth
/// from `base`, spread by ±`jitter` so that jobs failing together do not retry together, and capped
/// at `cap` so that late attempts still happen within hours, not weeks.
///
/// delay(attempt) = min(cap, base × 2^(attempt − 1) × (1 + jitter × u)), u uniform in [−1, 1).
public struct RetryPolicy: Sendable, Hashable {
    /// The delay after the first failed attempt (default 15 s).
    public var base: Duration
    /// The longest delay (default 6 h).
    public var cap: Duration
    /// The relative spread, 0 to 1 (default 0.1, i.e. ±10%).
    public var jitter: Double

    /// Creates a policy; every argument defaults to the documented default.
    public init(base: Duration = .seconds(15), cap: Duration = .seconds(6 * 3600), jitter: Double = 0.1) {
        self.base = base
        self.cap = cap
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The documented defaults: with the default 20 attempts a job is retried for about 2.5 days.
    public static let `default` = RetryPolicy()

    /// The delay after `attempt` (1-based) failed. `unitRandom` is a number in [0, 1), drawn by the
    /// caller so that this function stays pure and testable.
    public func delay(afterAttempt attempt: Int, unitRandom: Double) -> Duration {
        let exponent = Double(max(attempt, 1) - 1)
        let grown = base.timeInterval * Foundation.pow(2, min(exponent, 62))
        let spread = 1 + jitter * (2 * unitRandom - 1)
        let seconds = min(cap.timeInterval, grown * spread)
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
