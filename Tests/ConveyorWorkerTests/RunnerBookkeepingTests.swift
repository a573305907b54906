import ConveyorCore
import Foundation
import Testing

@testable import ConveyorWorker

/// The worker's hand-made bookkeeping, without a store: how claimed jobs find runners, how much a
/// queue may claim, and which reason to stop a handler stands.
@Suite("Worker bookkeeping (pure)")
struct RunnerBookkeepingTests {
    static func jobs(_ count: Int) throws -> [Job] {
        try (0..<count).map { index in
            Job(
                accepting: try NewJob(customer: "acme", queue: "q", type: "t", payloadJSON: "{\"n\":\(index)}"),
                id: JobID.generate(at: Date(timeIntervalSince1970: 0)), at: Date(timeIntervalSince1970: 0))
        }
    }

    @Test("claimed jobs start runners up to the queue's concurrency; a runner takes job after job, then retires")
    func runners() throws {
        let ready = ReadyJobs(maxRunners: 2)
        let at = Date(timeIntervalSince1970: 0)
        #expect(ready.add(try Self.jobs(3), claimedAt: at) == 2, "two runners for three jobs")
        #expect(ready.waiting == 3)
        #expect(ready.add(try Self.jobs(2), claimedAt: at) == 0, "both runners are already counted")
        var taken = 0
        while ready.take() != nil { taken += 1 }
        #expect(taken == 5, "the runners between them take every job, in order")
        // The first runner retired on its empty take: the next claim may start one again.
        #expect(ready.add(try Self.jobs(1), claimedAt: at) == 1)
        #expect(ready.takeAll().count == 1, "shutdown takes what is still waiting")
        #expect(ready.waiting == 0)
    }

    @Test("a queue claims its free slots, never more than three batches leased, and waits for a fuller batch")
    func room() throws {
        let lanes = QueueLanes(concurrency: 4)
        #expect(lanes.room(lease: .seconds(30)) == 4, "idle: the whole concurrency")
        lanes.leased.add(4)
        lanes.running.add(4)
        #expect(lanes.room(lease: .seconds(30)) == 0, "every slot busy and no estimate to claim ahead on")
        lanes.handlerFinished(after: .milliseconds(1))
        #expect(lanes.room(lease: .seconds(30)) == 4, "short jobs: a second batch is claimed ahead")
        lanes.leased.add(6)
        #expect(lanes.room(lease: .seconds(30)) == 2, "at most three batches (12) leased at once")
    }

    @Test("the first reason to stop a handler stands")
    func verdict() async {
        let verdict = Verdict()
        let handler = Task<AttemptEnding, Never> {
            try? await Task.sleep(for: .seconds(3600))
            return .returned(nil)
        }
        verdict.stop(handler, because: .timedOut(.seconds(1)))
        verdict.stop(handler, because: .interrupted)
        #expect(handler.isCancelled)
        _ = await handler.value
        guard case .timedOut = verdict.value else {
            Issue.record("expected the timeout to stand, got \(String(describing: verdict.value))")
            return
        }
    }
}
