import ConveyorCore
import Testing

extension JobStoreConformance {
    static let idempotencyChecks: [StoreConformanceCheck] = [
        .init("a request key answers its job for the same request, refuses another, per customer, for 24 hours") { h in
            func request(_ customer: String = "acme", queue: String = "mail") throws -> NewJob {
                try NewJob(customer: customer, queue: queue, type: "email.send", payloadJSON: #"{"to":"ada"}"#)
            }
            let key = try RequestIdempotency(key: "order-42", fingerprint: "f1")
            guard case .created(let made) = try await h.store.enqueue(try request(), idempotency: key) else {
                Issue.record("the first use of a key creates the job")
                return
            }
            #expect(try await h.reload(made) == made, "committed")
            #expect(try await h.store.enqueue(try request(), idempotency: key) == .replayed(made))
            let other = try RequestIdempotency(key: "order-42", fingerprint: "f2")
            #expect(try await h.store.enqueue(try request(queue: "billing"), idempotency: other) == .conflict(made.id))
            guard case .created(let theirs) = try await h.store.enqueue(try request("globex"), idempotency: key) else {
                Issue.record("another customer's key of the same name is its own")
                return
            }
            #expect(theirs.id != made.id)
            #expect(try await h.totalJobs() == 2)

            // Finishing the job does not free the key; 24 hours do.
            let claimed = try #require(try await h.claim(1, queues: ["mail"], customer: "acme").first)
            #expect(claimed.id == made.id)
            _ = try await h.store.complete(try #require(claimed.lease))
            #expect(try await h.store.enqueue(try request(), idempotency: key) == .replayed(try h.reload(made)))
            h.clock.advance(by: RequestIdempotency.retention + .seconds(1))
            guard case .created(let again) = try await h.store.enqueue(try request(), idempotency: key) else {
                Issue.record("a key older than its retention is forgotten")
                return
            }
            #expect(again.id != made.id)
            // Within its 24 hours, a key whose job was pruned is forgotten with it.
            let second = try #require(try await h.claim(1, queues: ["mail"], customer: "acme").first)
            #expect(second.id == again.id)
            _ = try await h.store.complete(try #require(second.lease))
            h.clock.advance(by: .seconds(2))
            _ = try await h.store.prune(RetentionPolicy(completed: .seconds(1)))
            #expect(try await h.store.job(id: again.id) == nil)
            guard case .created(let third) = try await h.store.enqueue(try request(), idempotency: key) else {
                Issue.record("a key whose job is gone makes a new one")
                return
            }
            #expect(third.id != again.id)
        },
        .init("requests with the same key at once make one job") { h in
            let key = try RequestIdempotency(key: "race", fingerprint: "same")
            let results = try await withThrowingTaskGroup(of: IdempotentEnqueue.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await h.store.enqueue(
                            try NewJob(customer: "acme", queue: "mail", type: "t", payloadJSON: "{}"), idempotency: key)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let created = results.filter { if case .created = $0 { true } else { false } }
            #expect(created.count == 1)
            #expect(try await h.totalJobs() == 1)
        },
    ]
}
