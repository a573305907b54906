import ConveyorCore
import Testing

extension JobStoreConformance {
    static let enqueueChecks: [StoreConformanceCheck] = [
        .init("an enqueued job is committed, available and readable back unchanged") { h in
            let job = try await h.enqueue(payload: #"{ "to": "ünïcode@example.com", "n": [1, 2.5, null] }"#)
            #expect(job.state == .available)
            #expect(job.attempt == 0)
            #expect(job.maxAttempts == NewJob.defaultMaxAttempts)
            #expect(job.runAt == h.clock.now())
            #expect(job.createdAt == h.clock.now())
            let stored = try await h.reload(job)
            #expect(stored == job)
            #expect(stored.payload.text == #"{ "to": "ünïcode@example.com", "n": [1, 2.5, null] }"#)
        },
        .init("a delayed job is scheduled and not claimable before its run_at") { h in
            let job = try await h.enqueue(start: .after(.seconds(60)))
            #expect(job.state == .scheduled)
            #expect(job.runAt == h.clock.now().adding(.seconds(60)))
            #expect(try await h.claim().isEmpty)
            h.clock.advance(by: .seconds(59))
            #expect(try await h.claim().isEmpty)
            h.clock.advance(by: .seconds(1))
            #expect(try await h.claimOne().id == job.id)
        },
        .init("a batch is enqueued in order, every job committed") { h in
            let requests = try (0..<5).map { n in
                try NewJob(customer: "acme", queue: "default", type: "batch.item", payloadJSON: "{\"n\":\(n)}")
            }
            let results = try await h.store.enqueue(batch: requests)
            #expect(results.map(\.inserted) == Array(repeating: true, count: 5))
            #expect(results.map(\.job.payload.text) == (0..<5).map { "{\"n\":\($0)}" })
            #expect(results.map(\.job.id) == results.map(\.job.id).sorted())
            #expect(try await h.totalJobs() == 5)
        },
        .init("an idempotency key dedupes per customer and queue while the job is unfinished") { h in
            let first = try await h.enqueue(idempotencyKey: "order-42")
            let again = try await h.store.enqueue(
                NewJob(
                    customer: "acme", queue: "default", type: "email.send", payloadJSON: "{}",
                    idempotencyKey: "order-42"))
            #expect(again.inserted == false)
            #expect(again.job.id == first.id)
            let otherQueue = try await h.enqueue(queue: "other", idempotencyKey: "order-42")
            let otherCustomer = try await h.enqueue(customer: "globex", idempotencyKey: "order-42")
            #expect(Set([first.id, otherQueue.id, otherCustomer.id]).count == 3)
            let claimed = try await h.claimOne()
            #expect(claimed.id == first.id)
            _ = try await h.store.complete(try #require(claimed.lease))
            let afterFinish = try await h.store.enqueue(
                NewJob(
                    customer: "acme", queue: "default", type: "email.send", payloadJSON: "{}",
                    idempotencyKey: "order-42"))
            #expect(afterFinish.inserted)
            #expect(afterFinish.job.id != first.id)
            #expect(try await h.totalJobs() == 4)
        },
        .init("a batch that repeats an idempotency key inserts the job once") { h in
            let request = try NewJob(
                customer: "acme", queue: "default", type: "t", payloadJSON: "{}", idempotencyKey: "k")
            let results = try await h.store.enqueue(batch: [request, request])
            #expect(results.map(\.inserted) == [true, false])
            #expect(results[0].job.id == results[1].job.id)
            #expect(try await h.totalJobs() == 1)
        },
    ]
}
