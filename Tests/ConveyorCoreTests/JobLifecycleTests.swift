import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

@Suite("Job lifecycle (pure)")
struct JobLifecycleTests {
    let clock = TestClock()

    func newJob(maxAttempts: Int = 3, start: NewJob.Start = .now) throws -> Job {
        let request = try NewJob(
            customer: "acme", queue: "q", type: "t", payloadJSON: "{}", start: start, maxAttempts: maxAttempts)
        return Job(accepting: request, id: .generate(at: clock.now()), at: clock.now())
    }

    @Test("a job not yet due cannot be claimed")
    func notDue() throws {
        var job = try newJob(start: .after(.seconds(10)))
        #expect(job.state == .scheduled)
        #expect(throws: JobStoreError.illegalTransition(id: job.id, from: .scheduled, event: .claim)) {
            try job.claim(token: "a", workerID: nil, lease: .seconds(5), at: clock.now())
        }
        try job.claim(token: "a", workerID: nil, lease: .seconds(5), at: clock.now().adding(.seconds(10)))
        #expect(job.state == .running)
    }

    @Test("a refused operation leaves the job unchanged")
    func refusedLeavesJobUnchanged() throws {
        var job = try newJob()
        try job.claim(token: "a", workerID: "w", lease: .seconds(5), at: clock.now())
        let before = job
        #expect(throws: JobStoreError.leaseLost(id: job.id)) { try job.complete(token: "b", at: clock.now()) }
        #expect(throws: JobStoreError.leaseLost(id: job.id)) {
            try job.fail(
                token: "a", message: "late", retryable: true, policy: .default, unitRandom: 0.5,
                at: clock.now().adding(.seconds(5)))
        }
        #expect(job == before)
        try job.complete(token: "a", at: clock.now())
        let completed = job
        #expect(throws: JobStoreError.illegalTransition(id: job.id, from: .completed, event: .cancel)) {
            try job.cancel(at: clock.now())
        }
        #expect(throws: JobStoreError.illegalTransition(id: job.id, from: .completed, event: .replay)) {
            try job.replay(at: clock.now())
        }
        #expect(job == completed)
    }

    @Test("failures retry with the policy's backoff until the last attempt, which is dead")
    func failuresUntilDead() throws {
        var job = try newJob(maxAttempts: 2)
        let policy = RetryPolicy(base: .seconds(10), cap: .seconds(100), jitter: 0)
        try job.claim(token: "a", workerID: nil, lease: .seconds(5), at: clock.now())
        try job.fail(token: "a", message: "one", retryable: true, policy: policy, unitRandom: 0.9, at: clock.now())
        #expect(job.state == .retryable)
        #expect(job.runAt == clock.now().adding(.seconds(10)))
        try job.claim(token: "b", workerID: nil, lease: .seconds(5), at: job.runAt)
        try job.fail(token: "b", message: "two", retryable: true, policy: policy, unitRandom: 0.1, at: job.runAt)
        #expect(job.state == .dead)
        #expect(job.deadReason == .exhausted)
        #expect(job.errors.map(\.message) == ["one", "two"])
    }
}
