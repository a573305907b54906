import ConveyorCore
import Testing

@Suite("Sliding-window rate limit rule")
struct SlidingWindowLogTests {
    let policy = try! RateLimitPolicy(requests: 3, windowSeconds: 10)

    /// A log holding accepted requests at `times`.
    func log(_ times: [Int64]) -> SlidingWindowLog {
        var log = SlidingWindowLog()
        for time in times { #expect(log.decide(now: time, policy: policy).allowed) }
        return log
    }

    @Test("a fresh key is allowed, and its quota returns one window after the request")
    func fresh() {
        var log = SlidingWindowLog()
        let decision = log.decide(now: 50_000, policy: policy)
        #expect(
            decision == RateLimitDecision(allowed: true, policy: policy, remaining: 2, secondsUntilQuotaReturns: 10))
        #expect(log.inWindow == 1 && log.newest == 50_000)
    }

    @Test("a full window refuses without recording; quota returns when the oldest request leaves, rounded up")
    func full() {
        var log = log([41_500, 45_000, 49_000])
        let decision = log.decide(now: 50_000, policy: policy)
        // 41.5 s + 10 s = 51.5 s: 1.5 s from now, told as 2.
        #expect(
            decision == RateLimitDecision(allowed: false, policy: policy, remaining: 0, secondsUntilQuotaReturns: 2))
        #expect(log.inWindow == 3 && log.newest == 49_000)
    }

    @Test("requests older than the window no longer count, and are dropped")
    func slides() {
        var log = log([30_000, 40_000, 45_000])
        let decision = log.decide(now: 50_000, policy: policy)
        #expect(decision.allowed && decision.remaining == 1)
        #expect(log.inWindow == 2)
        #expect(decision.secondsUntilQuotaReturns == 5)
    }

    @Test("requests in one millisecond each count, and a clock that steps back keeps the log in order")
    func sameMillisecond() {
        var log = log([45_000, 45_000])
        #expect(log.decide(now: 44_000, policy: policy).allowed)
        #expect(!log.decide(now: 45_000, policy: policy).allowed)
        // All three sit at 45 s: they leave together.
        let later = log.decide(now: 55_001, policy: policy)
        #expect(later.allowed && later.remaining == 2 && log.inWindow == 1)
    }

    @Test("a quota of a million is exact at its edge: the millionth request in the window is the last allowed")
    func largeQuota() throws {
        let million = try RateLimitPolicy(requests: 1_000_000, windowSeconds: 60)
        var log = SlidingWindowLog()
        // 1,000,000 requests over 50 s, 20 per millisecond.
        for index in 0..<1_000_000 { _ = log.decide(now: Int64(index / 20), policy: million) }
        #expect(log.inWindow == 1_000_000)
        #expect(!log.decide(now: 59_999, policy: million).allowed)
        // At 60 s the first millisecond's 20 leave: 20 more fit, the 21st does not.
        for _ in 0..<20 { #expect(log.decide(now: 60_000, policy: million).allowed) }
        #expect(!log.decide(now: 60_000, policy: million).allowed)
    }

    @Test("the rule on a store's counts: room allows and counts the request, a full window refuses")
    func rule() {
        let allowed = SlidingWindowLog.decide(inWindow: 2, oldest: 45_000, now: 50_000, policy: policy)
        #expect(allowed == RateLimitDecision(allowed: true, policy: policy, remaining: 0, secondsUntilQuotaReturns: 5))
        let refused = SlidingWindowLog.decide(inWindow: 3, oldest: 45_000, now: 50_000, policy: policy)
        #expect(refused == RateLimitDecision(allowed: false, policy: policy, remaining: 0, secondsUntilQuotaReturns: 5))
    }

    @Test("policies are checked: quotas from 1 to 1,000,000, windows from 1 s to a day")
    func validation() throws {
        #expect(throws: ValidationError.self) { try RateLimitPolicy(requests: 0, windowSeconds: 60) }
        #expect(throws: ValidationError.self) { try RateLimitPolicy(requests: 1_000_001, windowSeconds: 60) }
        #expect((try RateLimitPolicy(requests: 1_000_000, windowSeconds: 60)).requests == 1_000_000)
        #expect(throws: ValidationError.self) { try RateLimitPolicy(requests: 10, windowSeconds: 0) }
        #expect(throws: ValidationError.self) { try RateLimitPolicy(requests: 10, windowSeconds: 86_401) }
        #expect(RateLimitPolicy.stored(requests: nil, windowSeconds: 60) == nil)
        #expect(
            RateLimitPolicy.stored(requests: 5, windowSeconds: 60)
                == (try RateLimitPolicy(requests: 5, windowSeconds: 60)))
    }
}

extension SlidingWindowLogTests {
    @Test("requests decided together are decided in turn: as many allowed as the window has room for")
    func together() {
        let decisions = SlidingWindowLog.decide(4, inWindow: 1, oldest: 45_000, now: 50_000, policy: policy)
        #expect(decisions.map(\.allowed) == [true, true, false, false])
        #expect(decisions.map(\.remaining) == [1, 0, 0, 0])
        #expect(decisions.map(\.secondsUntilQuotaReturns) == [5, 5, 5, 5])
        #expect(SlidingWindowLog.allowed(4, inWindow: 5, policy: policy) == 0)
        // One at a time is the single decision.
        #expect(
            SlidingWindowLog.decide(1, inWindow: 0, oldest: nil, now: 50_000, policy: policy)
                == [SlidingWindowLog.decide(inWindow: 0, oldest: nil, now: 50_000, policy: policy)])
    }
}
