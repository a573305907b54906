import ConveyorCore
import Foundation
import Testing

@testable import ConveyorWorker

@Suite("Claiming ahead (pure)")
struct ClaimAheadTests {
    @Test("nothing is claimed ahead before a handler has finished")
    func noEstimate() {
        #expect(ClaimAhead().extraJobs(concurrency: 10, lease: .seconds(30)) == 0)
    }

    @Test("short jobs get a whole second batch, jobs as long as the lease get none")
    func byRunTime() {
        var fast = ClaimAhead()
        fast.handlerFinished(after: .microseconds(50))
        #expect(fast.extraJobs(concurrency: 10, lease: .seconds(30)) == 10)

        var slow = ClaimAhead()
        slow.handlerFinished(after: .seconds(30))
        #expect(slow.extraJobs(concurrency: 10, lease: .seconds(30)) == 2, "10 slots free one every 3 s; 7.5 s holds 2")
        #expect(slow.extraJobs(concurrency: 1, lease: .seconds(30)) == 0)
    }

    @Test("the estimate follows a change in run times")
    func movingAverage() {
        var ahead = ClaimAhead()
        for _ in 0..<50 { ahead.handlerFinished(after: .milliseconds(1)) }
        #expect(ahead.extraJobs(concurrency: 4, lease: .seconds(30)) == 4)
        ahead.handlerFinished(after: .seconds(100))
        #expect(ahead.extraJobs(concurrency: 4, lease: .seconds(30)) == 2, "one 100 s job weighs 1/8: a 12.5 s mean")
        for _ in 0..<50 { ahead.handlerFinished(after: .milliseconds(1)) }
        #expect(ahead.extraJobs(concurrency: 4, lease: .seconds(30)) == 4)
    }
}

@Suite("Ready jobs (pure)")
struct ReadyJobsTests {
    private func jobs(_ count: Int) throws -> [Job] {
        try (0..<count).map { _ in
            Job(
                accepting: try NewJob(customer: "acme", queue: "default", type: "greet", payloadJSON: "{}"),
                id: JobID.generate(at: .now), at: .now)
        }
    }

    @Test("runners start up to the limit and take jobs in claim order")
    func order() throws {
        let ready = ReadyJobs(maxRunners: 2)
        let claimed = try jobs(3)
        #expect(ready.add(claimed, claimedAt: Date()) == 2)
        #expect(ready.waiting == 3)
        #expect(ready.take()?.job.id == claimed[0].id)
        #expect(ready.take()?.job.id == claimed[1].id)
        #expect(ready.add(try jobs(1), claimedAt: Date()) == 0, "both runners are still at work")
        #expect(ready.take()?.job.id == claimed[2].id)
    }

    @Test("a runner that finds nothing retires at once, so the next jobs get a runner")
    func retire() throws {
        let ready = ReadyJobs(maxRunners: 1)
        #expect(ready.add(try jobs(1), claimedAt: Date()) == 1)
        #expect(ready.take() != nil)
        #expect(ready.take() == nil)
        #expect(ready.add(try jobs(2), claimedAt: Date()) == 1)
        #expect(ready.takeAll().count == 2)
        #expect(ready.waiting == 0)
    }
}
