import ConveyorCore
import Testing

extension JobStoreConformance {
    static let wakeupChecks: [StoreConformanceCheck] = [
        .init("enqueue, release and replay ring the doorbell for their queue only") { h in
            let beforeEnqueue = h.store.wakeups.ticket()
            try await h.enqueue(queue: "ring-mail")
            #expect(await h.store.wakeups.wait(for: ["ring-mail"], after: beforeEnqueue, timeout: nil))
            #expect(
                await h.store.wakeups.wait(for: ["ring-billing"], after: beforeEnqueue, timeout: .milliseconds(1))
                    == false)

            let job = try #require(try await h.claim(1, queues: ["ring-mail"]).first)
            let beforeRelease = h.store.wakeups.ticket()
            _ = try await h.store.release(try #require(job.lease), after: .zero)
            #expect(await h.store.wakeups.wait(for: ["ring-mail"], after: beforeRelease, timeout: nil))

            let dead = try await deadJob(h, queue: "ring-billing")
            let beforeReplay = h.store.wakeups.ticket()
            _ = try await h.store.replay(.ids([dead.id]))
            #expect(await h.store.wakeups.wait(for: ["ring-billing"], after: beforeReplay, timeout: nil))
        },
        .init("a delayed job does not ring: nothing is claimable yet") { h in
            // A queue of its own, as above.
            let before = h.store.wakeups.ticket()
            try await h.enqueue(queue: "mail-later", start: .after(.seconds(60)))
            #expect(
                await h.store.wakeups.wait(for: ["mail-later"], after: before, timeout: .milliseconds(1)) == false)
        },
    ]
}
