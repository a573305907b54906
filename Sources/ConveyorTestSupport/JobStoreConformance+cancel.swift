import ConveyorCore
import Synchronization
import Testing

extension JobStoreConformance {
    static let cancelChecks: [StoreConformanceCheck] = [
        .init("scheduled, available and retryable jobs can be cancelled") { h in
            let scheduled = try await h.enqueue(start: .after(.seconds(60)))
            let available = try await h.enqueue(queue: "other")
            try await h.enqueue()
            let failing = try await h.claimOne()
            let retryable = try await h.store.fail(try #require(failing.lease), message: "x", retryable: true)
            for job in [scheduled, available, retryable] {
                let cancelled = try await h.store.cancel(id: job.id)
                #expect(cancelled.state == .cancelled)
                #expect(cancelled.finishedAt == h.clock.now())
            }
            h.clock.advance(by: .seconds(3600))
            #expect(try await h.claim(10, queues: ["default", "other"]).isEmpty)
        },
        .init(
            "cancelling a running job revokes its lease: its heartbeats and outcomes are refused as cancelled, and its worker here is told at once"
        ) { h in
            try await h.enqueue()
            let job = try await h.claimOne()
            let lease = try #require(job.lease)
            let told = Mutex(0)
            h.store.cancellations.watch(job.id) { told.withLock { $0 += 1 } }
            let cancelled = try await h.store.cancel(id: job.id)
            #expect(cancelled.state == .cancelled)
            #expect(cancelled.leaseToken == nil)
            // This process's own cancel is posted as it returns; on PostgreSQL it also comes back
            // through NOTIFY, which the board posts once.
            #expect(told.withLock { $0 } == 1)
            await expectStoreError(.cancelled(id: job.id)) { try await h.store.complete(lease) }
            await expectStoreError(.cancelled(id: job.id)) {
                try await h.store.complete(batch: [Completion(lease, result: try JobPayload(json: "1"))])[0].get()
            }
            await expectStoreError(.cancelled(id: job.id)) {
                try await h.store.heartbeat(lease, extendBy: .seconds(10))
            }
            await expectStoreError(.cancelled(id: job.id)) {
                try await h.store.fail(lease, message: "x", retryable: true)
            }
            await expectStoreError(.cancelled(id: job.id)) {
                try await h.store.recordProgress(lease, try JobPayload(json: "1"))
            }
            let stored = try await h.reload(job)
            #expect(stored.state == .cancelled && stored.result == nil && stored.errors.isEmpty)
        },
        .init("completed, dead and cancelled jobs cannot be cancelled; unknown ids are notFound") { h in
            try await h.enqueue()
            let done = try await h.store.complete(try #require(try await h.claimOne().lease))
            try await h.enqueue()
            let dead = try await h.store.fail(
                try #require(try await h.claimOne().lease), message: "x", retryable: false)
            let cancelled = try await h.store.cancel(id: try await h.enqueue().id)
            for job in [done, dead, cancelled] {
                await expectStoreError(.illegalTransition(id: job.id, from: job.state, event: .cancel)) {
                    try await h.store.cancel(id: job.id)
                }
                #expect(try await h.reload(job) == job)
            }
            let unknown = JobID.generate(at: h.clock.now())
            await expectStoreError(.notFound(id: unknown)) { try await h.store.cancel(id: unknown) }
        },
    ]
}
