import ConveyorCore
import Testing

@Suite("Retry backoff")
struct RetryPolicyTests {
    let policy = RetryPolicy(base: .seconds(15), cap: .seconds(6 * 3600), jitter: 0.1)

    @Test("without jitter the delay doubles per attempt from the base")
    func doubling() {
        let delays = (1...5).map { policy.delay(afterAttempt: $0, unitRandom: 0.5) }
        #expect(delays == [.seconds(15), .seconds(30), .seconds(60), .seconds(120), .seconds(240)])
    }

    @Test("jitter spreads the delay by at most ±10%")
    func jitterBounds() {
        #expect(policy.delay(afterAttempt: 3, unitRandom: 0) == .seconds(54))
        #expect(policy.delay(afterAttempt: 3, unitRandom: 0.999_999) <= .seconds(66))
        #expect(policy.delay(afterAttempt: 3, unitRandom: 0.999_999) > .seconds(65))
    }

    @Test("the delay never exceeds the cap, however many attempts")
    func cap() {
        for attempt in [12, 20, 100, 10_000] {
            #expect(policy.delay(afterAttempt: attempt, unitRandom: 0.999) == .seconds(6 * 3600))
        }
        #expect(policy.delay(afterAttempt: 11, unitRandom: 0.5) == .seconds(15 * 1024), "below the cap, no capping")
    }
}
