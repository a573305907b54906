import ConveyorCore
import Testing

extension JobStoreConformance {
    static let claimChecks: [StoreConformanceCheck] = [
        .init("claims take jobs by priority, then run_at, then id") { h in
            let late = try await h.enqueue(type: "late", priority: 0, start: .after(.seconds(5)))
            let low = try await h.enqueue(type: "low", priority: 5)
            let firstHigh = try await h.enqueue(type: "high1", priority: 0)
            let secondHigh = try await h.enqueue(type: "high2", priority: 0)
            let mid = try await h.enqueue(type: "mid", priority: 2)
            h.clock.advance(by: .seconds(10))
            var order: [JobID] = []
            while let job = try await h.claim().first { order.append(job.id) }
            // `late` has priority 0 but a later run_at than the other priority-0 jobs.
            #expect(order == [firstHigh.id, secondHigh.id, late.id, mid.id, low.id])
        },
        .init("a claim leases the job: attempt + 1, a token, an expiry and the worker") { h in
            let job = try await h.enqueue()
            let claimed = try #require(try await h.claim(lease: .seconds(45)).first)
            #expect(claimed.id == job.id)
            #expect(claimed.state == .running)
            #expect(claimed.attempt == 1)
            #expect(claimed.leaseToken?.isEmpty == false)
            #expect(claimed.leaseExpiresAt == h.clock.now().adding(.seconds(45)))
            #expect(claimed.workerID == "worker-1")
            #expect(claimed.attemptedAt == h.clock.now())
            #expect(try await h.reload(job) == claimed)
            #expect(try await h.claim().isEmpty, "a running job is not claimed twice")
        },
        .init("a claim takes at most its limit, only from the named queues and customer") { h in
            for _ in 0..<3 { try await h.enqueue(queue: "mail") }
            try await h.enqueue(queue: "other")
            try await h.enqueue(customer: "globex", queue: "mail")
            #expect(try await h.claim(2, queues: ["mail"], customer: "acme").count == 2)
            let rest = try await h.claim(10, queues: ["mail"], customer: "acme")
            #expect(rest.count == 1)
            #expect(rest.allSatisfy { $0.customer == "acme" && $0.queue == "mail" })
            let any = try await h.claim(10, queues: ["mail", "other"])
            #expect(Set(any.map(\.customer)) == ["acme", "globex"])
            #expect(any.count == 2)
        },
        .init("a retryable job is claimed again only once its backoff has passed") { h in
            try await h.enqueue()
            let job = try await h.claimOne()
            let failed = try await h.store.fail(try #require(job.lease), message: "boom", retryable: true)
            #expect(failed.state == .retryable)
            #expect(try await h.claim().isEmpty)
            h.clock.advance(to: failed.runAt)
            let again = try await h.claimOne()
            #expect(again.id == job.id)
            #expect(again.attempt == 2)
            #expect(again.leaseToken != job.leaseToken)
        },
    ]
}
