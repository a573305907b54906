import ConveyorCore
import Testing

extension JobStoreConformance {
    static let pauseChecks: [StoreConformanceCheck] = [
        .init("a paused queue hands out nothing to anyone; enqueues are accepted; resuming rings it") { h in
            try await h.enqueue(customer: "acme")
            let running = try await h.claimOne()
            let paused = try await h.store.pause(queue: "default", customer: nil)
            #expect(paused.queue == "default" && paused.customer == nil && paused.pausedAt == h.clock.now())
            try await h.enqueue(customer: "acme")
            try await h.enqueue(customer: "globex")
            #expect(try await h.claim(10).isEmpty)
            #expect(try await h.claim(10, customer: "globex").isEmpty)
            // A job running when the pause came finishes as usual.
            #expect(try await h.store.complete(try #require(running.lease)).state == .completed)
            #expect(try await h.store.pauses() == [paused])
            let ticket = h.store.wakeups.ticket()
            #expect(try await h.store.resume(queue: "default", customer: nil))
            #expect(await h.store.wakeups.wait(for: ["default"], after: ticket, timeout: .seconds(10)))
            #expect(Set(try await h.claim(10).map(\.customer)) == ["acme", "globex"])
            #expect(try await h.store.resume(queue: "default", customer: nil) == false, "nothing left to resume")
        },
        .init("one customer's paused queue holds back only that customer there") { h in
            try await h.enqueue(customer: "acme")
            try await h.enqueue(customer: "acme", queue: "other")
            try await h.enqueue(customer: "globex")
            _ = try await h.store.pause(queue: "default", customer: "acme")
            #expect(try await h.claim(10).map(\.customer) == ["globex"])
            #expect(try await h.claim(10, queues: ["other"]).map(\.customer) == ["acme"])
            _ = try await h.store.resume(queue: "default", customer: "acme")
            #expect(try await h.claim(10).map(\.customer) == ["acme"])
        },
        .init("a customer resumed after a long pause shares fairly at once: its pause is no credit") { h in
            for customer in ["busy", "other", "held"] { try await enqueueMany(h, customer: customer, count: 100) }
            _ = try await h.store.pause(queue: nil, customer: "held")
            // busy and other share the queue meanwhile, and their passes move on.
            #expect(Set(try await claimCustomers(h, 40)) == ["busy", "other"])
            _ = try await h.store.resume(queue: nil, customer: "held")
            let next = try await claimCustomers(h, 30)
            #expect(next.filter { $0 == "held" }.count == 10, "a third, not all: \(next)")
        },
        .init("a paused customer gets nothing on any queue; pausing again keeps the first time") { h in
            try await h.enqueue(customer: "acme")
            try await h.enqueue(customer: "acme", queue: "other")
            try await h.enqueue(customer: "globex", queue: "other")
            let first = try await h.store.pause(queue: nil, customer: "acme")
            h.clock.advance(by: .seconds(5))
            #expect(try await h.store.pause(queue: nil, customer: "acme") == first)
            #expect(try await h.claim(10, queues: ["default", "other"]).map(\.customer) == ["globex"])
            let ticket = h.store.wakeups.ticket()
            _ = try await h.store.resume(queue: nil, customer: "acme")
            #expect(await h.store.wakeups.wait(for: ["default"], after: ticket, timeout: .seconds(10)))
            #expect(try await h.claim(10, queues: ["default", "other"]).count == 2)
            await #expect(throws: ValidationError.self) { try await h.store.pause(queue: nil, customer: nil) }
        },
    ]
}
