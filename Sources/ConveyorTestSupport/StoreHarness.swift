public import ConveyorCore
import Foundation
public import Testing

/// StoreHarness is what a conformance check gets: a fresh, empty store configured with
/// `JobStoreConformance.options`, and the test clock that store reads.
public struct StoreHarness: Sendable {
    public let store: any JobStore
    public let clock: TestClock

    /// Wraps a store an engine's test opened.
    public init(store: any JobStore, clock: TestClock) {
        self.store = store
        self.clock = clock
    }

    /// Enqueues one valid job with defaults a check can override.
    @discardableResult
    public func enqueue(
        customer: String = "acme", queue: String = "default", type: String = "email.send",
        payload: String = #"{"n":1}"#,
        priority: Int = 0, start: NewJob.Start = .now, maxAttempts: Int = NewJob.defaultMaxAttempts,
        idempotencyKey: String? = nil
    ) async throws -> Job {
        try await store.enqueue(
            NewJob(
                customer: customer, queue: queue, type: type, payloadJSON: payload, priority: priority, start: start,
                maxAttempts: maxAttempts, idempotencyKey: idempotencyKey)
        ).job
    }

    /// Claims up to `limit` jobs from `queues`.
    public func claim(
        _ limit: Int = 1, queues: [String] = ["default"], customer: String? = nil, lease: Duration = .seconds(30),
        worker: String? = "worker-1"
    ) async throws -> [Job] {
        try await store.claim(
            ClaimRequest(queues: queues, customer: customer, limit: limit, lease: lease, workerID: worker))
    }

    /// Claims exactly one job, failing the check when there is none.
    public func claimOne(queues: [String] = ["default"], lease: Duration = .seconds(30)) async throws -> Job {
        let jobs = try await claim(1, queues: queues, lease: lease)
        return try #require(jobs.first, "expected a claimable job")
    }

    /// The stored job, failing the check when it is missing.
    public func reload(_ job: Job) async throws -> Job {
        try #require(try await store.job(id: job.id), "job \(job.id) vanished")
    }

    /// How many jobs the store holds, over all states.
    public func totalJobs() async throws -> Int {
        try await store.counts(customer: nil).reduce(0) { $0 + $1.total }
    }
}

/// Runs `operation` and checks that it throws exactly `expected`.
public func expectStoreError<T>(
    _ expected: JobStoreError, sourceLocation: SourceLocation = #_sourceLocation, _ operation: () async throws -> T
) async {
    do {
        _ = try await operation()
        Issue.record("expected \(expected), but the operation succeeded", sourceLocation: sourceLocation)
    } catch let error as JobStoreError {
        #expect(error == expected, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
}
