import ConveyorCore
import Testing

@Suite("Sliding-window rate limit rule")
struct SlidingWindowLogTests {
    let policy = try! RateLimitPolicy(requests: 3, windowSeconds: 10)

    @Test("a fresh key is allowed, and its quota returns one window after the request")
    func fresh() {
        let (decision, hits) = SlidingWindowLog.decide(hits: [], now: 50_000, policy: policy)
        #expect(
            decision == RateLimitDecision(allowed: true, policy: policy, remaining: 2, secondsUntilQuotaReturns: 10))
        #expect(hits == [50_000])
    }

    @Test("a full window refuses without recording; quota returns when the oldest request leaves, rounded up")
    func full() {
        let (decision, hits) = SlidingWindowLog.decide(hits: [41_500, 45_000, 49_000], now: 50_000, policy: policy)
        // 41.5 s + 10 s = 51.5 s: 1.5 s from now, told as 2.
        #expect(
            decision == RateLimitDecision(allowed: false, policy: policy, remaining: 0, secondsUntilQuotaReturns: 2))
        #expect(hits == [41_500, 45_000, 49_000])
    }

    @Test("requests older than the window no longer count, and are dropped")
    func slides() {
        let (decision, hits) = SlidingWindowLog.decide(hits: [30_000, 40_000, 45_000], now: 50_000, policy: policy)
        #expect(decision.allowed && decision.remaining == 1)
        #expect(hits == [45_000, 50_000])
        #expect(decision.secondsUntilQuotaReturns == 5)
    }

    @Test("policies are checked: quotas from 1 to 10,000, windows from 1 s to a day")
    func validation() throws {
        #expect(throws: ValidationError.self) { try RateLimitPolicy(requests: 0, windowSeconds: 60) }
        #expect(throws: ValidationError.self) { try RateLimitPolicy(requests: 10_001, windowSeconds: 60) }
        #expect(throws: ValidationError.self) { try RateLimitPolicy(requests: 10, windowSeconds: 0) }
        #expect(throws: ValidationError.self) { try RateLimitPolicy(requests: 10, windowSeconds: 86_401) }
        #expect(RateLimitPolicy.stored(requests: nil, windowSeconds: 60) == nil)
        #expect(
            RateLimitPolicy.stored(requests: 5, windowSeconds: 60)
                == (try RateLimitPolicy(requests: 5, windowSeconds: 60)))
    }
}
