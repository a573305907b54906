import ConveyorCore
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
        .init("cancelling a running job revokes its lease") { h in
            try await h.enqueue()
            let job = try await h.claimOne()
            let cancelled = try await h.store.cancel(id: job.id)
            #expect(cancelled.state == .cancelled)
            #expect(cancelled.leaseToken == nil)
            await expectStoreError(.leaseLost(id: job.id)) { try await h.store.complete(try #require(job.lease)) }
            await expectStoreError(.leaseLost(id: job.id)) {
                try await h.store.heartbeat(try #require(job.lease), extendBy: .seconds(10))
            }
            #expect(try await h.reload(job).state == .cancelled)
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
