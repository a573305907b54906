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
    private func jobs(_ count: Int, of customer: String = "acme") throws -> [Job] {
        try (0..<count).map { _ in
            Job(
                accepting: try NewJob(customer: customer, queue: "default", type: "greet", payloadJSON: "{}"),
                id: JobID.generate(at: .now), at: .now)
        }
    }

    @Test("customers take turns, a job each, each customer's jobs in claim order")
    func turns() throws {
        let ready = ReadyJobs(maxRunners: 1)
        // A batch of hog's claimed ahead, then a claim holding small's one job and more of hog's:
        // small's job starts second, not after all of hog's claimed before it.
        let first = try jobs(4, of: "hog")
        let small = try jobs(1, of: "small")
        let more = try jobs(2, of: "hog")
        _ = ready.add(first, claimedAt: Date())
        #expect(ready.take()?.job.id == first[0].id)
        _ = ready.add(small + more, claimedAt: Date())
        #expect(ready.waiting == 6)
        var order: [JobID] = []
        while let entry = ready.take() { order.append(entry.job.id) }
        #expect(order == [first[1].id, small[0].id] + first[2...].map(\.id) + more.map(\.id))
        // Two customers with jobs alike alternate; an emptied buffer starts over.
        let a = try jobs(2, of: "a")
        let b = try jobs(3, of: "b")
        #expect(ready.add(a + b, claimedAt: Date()) == 1)
        order = []
        while let entry = ready.take() { order.append(entry.job.id) }
        #expect(order == [a[0].id, b[0].id, a[1].id, b[1].id, b[2].id])
        #expect(ready.waiting == 0)
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
