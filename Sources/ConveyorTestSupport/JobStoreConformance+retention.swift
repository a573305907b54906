import ConveyorCore
import Testing

extension JobStoreConformance {
    static let retentionChecks: [StoreConformanceCheck] = [
        .init("pruning deletes finished jobs past retention and never touches unfinished ones") { h in
            let policy = RetentionPolicy(
                completed: .seconds(3600), cancelled: .seconds(600), dead: .seconds(7200), deadMaxCount: 100)
            try await h.enqueue()
            let completed = try await h.store.complete(try #require(try await h.claimOne().lease))
            let cancelled = try await h.store.cancel(id: try await h.enqueue().id)
            let dead = try await deadJob(h)
            let scheduled = try await h.enqueue(start: .after(.seconds(100_000)))
            try await h.enqueue(queue: "idle")
            h.clock.advance(by: .seconds(601))
            #expect(try await h.store.prune(policy) == PruneReport(cancelled: 1))
            #expect(try await h.store.job(id: cancelled.id) == nil)
            h.clock.advance(by: .seconds(3000))
            #expect(try await h.store.prune(policy) == PruneReport(completed: 1))
            #expect(try await h.store.job(id: completed.id) == nil)
            h.clock.advance(by: .seconds(3600))
            #expect(try await h.store.prune(policy) == PruneReport(dead: 1))
            #expect(try await h.store.job(id: dead.id) == nil)
            #expect(try await h.reload(scheduled).state == .scheduled)
            #expect(try await h.totalJobs() == 2)
        },
        .init("the dead-letter queue is bounded by count, oldest deaths pruned first") { h in
            var dead: [Job] = []
            for _ in 0..<4 {
                dead.append(try await deadJob(h))
                h.clock.advance(by: .seconds(1))
            }
            let report = try await h.store.prune(RetentionPolicy(deadMaxCount: 2))
            #expect(report == PruneReport(dead: 2))
            #expect(try await h.store.job(id: dead[0].id) == nil)
            #expect(try await h.store.job(id: dead[1].id) == nil)
            #expect(try await h.store.job(id: dead[3].id) != nil)
        },
        .init("every accepted job is counted exactly once across states and pruning") { h in
            var enqueued = 0
            var removed = 0
            for round in 0..<4 {
                for n in 0..<10 {
                    try await h.enqueue(queue: n % 2 == 0 ? "even" : "odd", start: n == 9 ? .after(.seconds(30)) : .now)
                    enqueued += 1
                }
                let claimed = try await h.claim(6, queues: ["even", "odd"])
                for (index, job) in claimed.enumerated() {
                    let lease = try #require(job.lease)
                    switch index % 4 {
                    case 0: _ = try await h.store.complete(lease)
                    case 1: _ = try await h.store.fail(lease, message: "x", retryable: false)
                    case 2: _ = try await h.store.fail(lease, message: "x", retryable: true)
                    default: _ = try await h.store.cancel(id: job.id)
                    }
                }
                if round == 2 { removed += try await h.store.purge(.matching(try DeadLetterFilter())).jobs.count }
                h.clock.advance(by: .seconds(3600 * 9))
                removed += try await h.store.prune(RetentionPolicy(completed: .seconds(3600 * 10))).total
                #expect(try await h.totalJobs() + removed == enqueued, "round \(round)")
            }
            #expect(removed > 0)
        },
    ]
}
