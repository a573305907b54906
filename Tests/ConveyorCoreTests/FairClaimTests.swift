import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

@Suite("Fair claim rule")
struct FairClaimTests {
    let clock = TestClock()
    @Test("a claim considers one share per 4 jobs, at least two, never more than its limit")
    func candidateCount() {
        #expect([1, 2, 3, 8, 9, 16, 100].map { FairClaim.candidateCount(limit: $0) } == [1, 2, 2, 2, 3, 4, 25])
    }

    @Test("a candidate ran out only when it had fewer jobs than asked for and all of them were taken")
    func ranOut() {
        #expect(FairClaim.ranOut(reads: 4, read: 0, taken: 0))
        #expect(FairClaim.ranOut(reads: 4, read: 3, taken: 3))
        #expect(!FairClaim.ranOut(reads: 4, read: 4, taken: 4), "a full read may have more behind it")
        #expect(!FairClaim.ranOut(reads: 4, read: 3, taken: 2), "a job left behind still waits")
    }

    @Test("tied shares are split into runs: a claim of 16 takes 4 from each of 4")
    func runs() throws {
        let shares = (0..<10).map { QueueShare(queue: "q", customer: "c\($0)", pass: 0, weight: 1) }
        let candidates = FairClaim.candidates(shares, limit: 16)
        let waiting = try candidates.map { share in
            try (0..<8).map { _ in
                let request = try NewJob(customer: share.customer, queue: "q", type: "t", payloadJSON: "{}")
                return Job(accepting: request, id: .generate(at: clock.now()), at: clock.now())
            }
        }
        let picked = FairClaim.pick(candidates, waiting: waiting, limit: 16)
        #expect(
            Dictionary(grouping: picked, by: \.job.customer).mapValues(\.count) == ["c0": 4, "c1": 4, "c2": 4, "c3": 4])
    }
}
