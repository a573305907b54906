import ConveyorCore
import Synchronization

/// InMemoryRateLimiter is the fallback when the store cannot decide: the same sliding-window rule
/// (`SlidingWindowLog`), on this process's clock, for this node alone — with N nodes in fallback a
/// key can get up to N times its quota. It remembers the customers' own policies the store last
/// reported, so a customer keeps its quota through an outage.
final class InMemoryRateLimiter: Sendable {
    private struct Window {
        var log: SlidingWindowLog
        var windowMilliseconds: Int64
    }

    private struct State {
        var windows: [RateLimitKey: Window] = [:]
        var ownPolicies: [RateLimitKey: RateLimitPolicy] = [:]
    }

    private let state = Mutex(State())
    private let clock: any WallClock

    init(clock: any WallClock) {
        self.clock = clock
    }

    func decide(_ key: RateLimitKey, policy: RateLimitPolicy) -> RateLimitDecision {
        let now = clock.now().unixMilliseconds
        return state.withLock { state in
            let policy = state.ownPolicies[key] ?? policy
            var window =
                state.windows.removeValue(forKey: key) ?? Window(log: SlidingWindowLog(), windowMilliseconds: 0)
            let decision = window.log.decide(now: now, policy: policy)
            window.windowMilliseconds = policy.windowMilliseconds
            state.windows[key] = window
            return decision
        }
    }

    /// Notes the policy the store decided `key` by, for use in an outage.
    func remember(_ key: RateLimitKey, decidedBy policy: RateLimitPolicy, default: RateLimitPolicy) {
        guard key.customer != nil else { return }
        state.withLock { state in
            if policy == `default` {
                if state.ownPolicies[key] != nil { state.ownPolicies[key] = nil }
            } else if state.ownPolicies[key] != policy {
                state.ownPolicies[key] = policy
            }
        }
    }

    /// Forgets keys with no request left in their window, so memory does not grow with time.
    func prune() {
        let now = clock.now().unixMilliseconds
        state.withLock { state in
            state.windows = state.windows.filter { _, window in
                (window.log.newest ?? .min) > now - window.windowMilliseconds
            }
        }
    }
}
