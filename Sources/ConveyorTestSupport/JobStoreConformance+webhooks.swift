import ConveyorCore
import Foundation
import Testing

extension JobStoreConformance {
    static let webhookChecks: [StoreConformanceCheck] = [
        .init("an endpoint is made, read, listed, changed and deleted, each only by its own customer") { h in
            for name in ["acme", "globex"] { _ = try await h.store.createCustomer(name) }
            let secret = WebhookSecret.generate()
            let made = try await h.store.createWebhook(
                try draft("acme", events: ["job.completed", "job.dead"], queue: "mail"), secret: secret)
            #expect(made.id.hasPrefix("wh_") && made.customer == "acme" && made.secret == secret)
            #expect(made.events == [.completed, .dead] && made.queue == "mail" && made.isEnabled)
            #expect(made.createdAt == h.clock.now().truncatedToMilliseconds)
            let other = try await h.store.createWebhook(try draft("globex"), secret: WebhookSecret.generate())
            #expect(other.events.isEmpty, "every kind")
            #expect(try await h.store.webhook(id: made.id, customer: "acme") == made)
            #expect(try await h.store.webhook(id: made.id, customer: nil) == made)
            await expectStoreError(.webhookNotFound(id: made.id)) {
                try await h.store.webhook(id: made.id, customer: "globex")
            }
            #expect(try await h.store.webhooks(customer: "acme") == [made])
            #expect(try await h.store.webhooks(customer: nil) == [made, other])

            let change = try WebhookEndpointChange(
                url: "https://hooks.example.com/v2", events: ["*"], queue: .some(nil), description: "billing",
                policy: .init())
            await expectStoreError(.webhookNotFound(id: made.id)) {
                try await h.store.updateWebhook(id: made.id, customer: "globex", change)
            }
            let changed = try await h.store.updateWebhook(id: made.id, customer: "acme", change)
            #expect(changed.url == "https://hooks.example.com/v2" && changed.events.isEmpty && changed.queue == nil)
            #expect(changed.description == "billing" && changed.secret == secret)
            #expect(try await h.store.webhook(id: made.id, customer: nil) == changed)

            await expectStoreError(.webhookNotFound(id: made.id)) {
                try await h.store.deleteWebhook(id: made.id, customer: "globex")
            }
            try await h.store.deleteWebhook(id: made.id, customer: "acme")
            #expect(try await h.store.webhooks(customer: nil) == [other])
            await expectStoreError(.webhookNotFound(id: made.id)) {
                try await h.store.deleteWebhook(id: made.id, customer: nil)
            }
            await expectStoreError(.customerNotFound(name: "initech")) {
                try await h.store.createWebhook(try draft("initech"), secret: WebhookSecret.generate())
            }
        },
        .init("a rotated secret keeps the old one signing for a day") { h in
            _ = try await h.store.createCustomer("acme")
            let first = WebhookSecret.generate()
            let made = try await h.store.createWebhook(try draft("acme"), secret: first)
            #expect(made.signingSecrets(at: h.clock.now()) == [first])
            let second = WebhookSecret.generate()
            let rotated = try await h.store.rotateWebhookSecret(id: made.id, customer: "acme", to: second)
            #expect(rotated.secret == second && rotated.previousSecret == first)
            let stored = try await h.store.webhook(id: made.id, customer: nil)
            #expect(stored == rotated)
            #expect(stored.signingSecrets(at: h.clock.now()) == [second, first])
            h.clock.advance(by: WebhookEndpoint.rotationOverlap)
            #expect(stored.signingSecrets(at: h.clock.now()) == [second])
            await expectStoreError(.webhookNotFound(id: made.id)) {
                try await h.store.rotateWebhookSecret(id: made.id, customer: "globex", to: WebhookSecret.generate())
            }
        },
        .init("attempts are logged newest first; 410 disables; failing for 3 days disables; a success ends a streak") {
            h in
            _ = try await h.store.createCustomer("acme")
            let made = try await h.store.createWebhook(try draft("acme"), secret: WebhookSecret.generate())
            func attempt(_ status: Int?, _ n: Int) -> WebhookAttempt {
                WebhookAttempt(
                    endpointID: made.id, jobID: JobID.generate(at: h.clock.now()), messageID: "msg_\(n)",
                    event: "job.completed", attempt: 1, at: h.clock.now().truncatedToMilliseconds, statusCode: status,
                    latencyMilliseconds: 12,
                    error: status.map { (200..<300).contains($0) ? nil : "status \($0)" }
                        ?? "connection refused")
            }
            let failed = try #require(try await h.store.recordWebhookAttempt(attempt(500, 1)))
            #expect(failed.failingSince == h.clock.now().truncatedToMilliseconds && failed.isEnabled)
            h.clock.advance(by: .seconds(3600))
            let delivered = try #require(try await h.store.recordWebhookAttempt(attempt(204, 2)))
            #expect(delivered.failingSince == nil)
            let streak = h.clock.now().truncatedToMilliseconds
            _ = try await h.store.recordWebhookAttempt(attempt(nil, 3))
            h.clock.advance(by: WebhookEndpoint.failureLimit - .seconds(1))
            #expect(try await h.store.recordWebhookAttempt(attempt(503, 4))?.failingSince == streak)
            h.clock.advance(by: .seconds(1))
            let disabled = try #require(try await h.store.recordWebhookAttempt(attempt(503, 5)))
            #expect(!disabled.isEnabled && disabled.disabledReason == "every delivery failed for 3 days")
            let log = try await h.store.webhookAttempts(endpointID: made.id, customer: "acme", limit: 10)
            #expect(log.map(\.messageID) == ["msg_5", "msg_4", "msg_3", "msg_2", "msg_1"])
            #expect(log.last?.statusCode == 500 && log[2].statusCode == nil && log[2].error == "connection refused")
            #expect(log[3].latencyMilliseconds == 12)
            await expectStoreError(.webhookNotFound(id: made.id)) {
                try await h.store.webhookAttempts(endpointID: made.id, customer: "globex", limit: 10)
            }
            // Enabled again by hand: a fresh start.
            let enabled = try await h.store.updateWebhook(
                id: made.id, customer: "acme", try WebhookEndpointChange(enabled: true, policy: .init()))
            #expect(enabled.isEnabled && enabled.failingSince == nil && enabled.disabledReason == nil)
            let gone = try #require(try await h.store.recordWebhookAttempt(attempt(410, 6)))
            #expect(!gone.isEnabled && gone.disabledReason == "the endpoint answered 410 Gone")
            // The log keeps the newest attemptLogLength.
            let limit = type(of: h.store).attemptLogLength
            for n in 0..<limit { _ = try await h.store.recordWebhookAttempt(attempt(204, 100 + n)) }
            let kept = try await h.store.webhookAttempts(endpointID: made.id, customer: nil, limit: limit + 10)
            #expect(kept.count == limit && kept.first?.messageID == "msg_\(100 + limit - 1)")
            try await h.store.deleteWebhook(id: made.id, customer: nil)
            #expect(try await h.store.recordWebhookAttempt(attempt(204, 999)) == nil, "its endpoint is gone")
        },
        .init(
            "dispatch moves the cursor once; deliveries are jobs on _webhooks with no events, no quota, and a cap per customer"
        ) { h in
            _ = try await h.store.createCustomer("acme")
            _ = try await h.store.setBacklogQuota(customer: "acme", quota: 1)
            #expect(try await h.store.webhookCursor() == nil)
            let endpoint = try await h.store.createWebhook(try draft("acme"), secret: WebhookSecret.generate())
            // The first endpoint set the cursor: what happens from now on is dispatched.
            let start = try #require(try await h.store.webhookCursor())
            #expect(start == EventCursor(major: 0), "no event yet")
            let job = try await h.enqueue(customer: "acme")
            // On PostgreSQL an event is readable once every older transaction has ended.
            var events: [Event] = []
            try await poll("the job's event to be readable") {
                events = try await h.store.events(after: nil, customer: "acme", limit: 10)
                return !events.isEmpty
            }
            let cursor = try #require(events.last?.id)
            // The event twice (as to two endpoints), under a cap of one running at once.
            let deliveries = WebhookDelivery.jobs(for: events, endpoints: [endpoint, endpoint])
            #expect(deliveries.count == 2)
            #expect(try await h.store.dispatchWebhooks(deliveries, from: start, to: cursor, perCustomer: 1))
            #expect(try await h.store.webhookCursor() == cursor)
            #expect(
                try await h.store.dispatchWebhooks(deliveries, from: start, to: cursor, perCustomer: 1) == false,
                "moved already")
            #expect(
                try await h.store.caps().contains(
                    ConcurrencyCap(queue: WebhookDelivery.queue, customer: "acme", maxRunning: 1)))
            let second = try await h.store.createWebhook(try draft("acme"), secret: WebhookSecret.generate())
            #expect(try await h.store.webhookCursor() == cursor, "only the first endpoint sets it")
            try await h.store.deleteWebhook(id: second.id, customer: nil)
            // The customer is at its quota of 1 waiting job, yet its delivery was accepted.
            let claimed = try await h.claim(10, queues: [WebhookDelivery.queue])
            #expect(claimed.count == 1, "the customer's cap: one of its deliveries at a time")
            let delivery = try #require(claimed.first)
            #expect(delivery.customer == "acme" && delivery.type == WebhookDelivery.type)
            #expect(delivery.maxAttempts == WebhookDelivery.maxAttempts)
            let carried = try WebhookDelivery(payload: delivery.payload)
            #expect(carried.endpointID == endpoint.id && carried.messageID == "msg_\(cursor)")
            #expect(carried.event == "job.enqueued" && carried.body.contains(job.id.description))
            _ = try await h.store.fail(
                try #require(delivery.lease), message: "503", retryable: true, retryAfter: .seconds(300))
            let retrying = try await h.reload(delivery)
            #expect(retrying.state == .retryable)
            #expect(retrying.runAt == h.clock.now().truncatedToMilliseconds.adding(.seconds(300)), "the chosen wait")
            // No events of deliveries: the stream holds the customer's own job's only.
            #expect(try await h.store.events(after: cursor, customer: nil, limit: 10).isEmpty)
            #expect(
                try await h.store.dispatchWebhooks(
                    [], from: cursor, to: EventCursor(major: cursor.major + 1), perCustomer: 1))
        },
    ]

    static func draft(
        _ customer: String, events: [String]? = nil, queue: String? = nil
    ) throws -> WebhookEndpointDraft {
        try WebhookEndpointDraft(
            customer: customer, url: "https://hooks.example.com/conveyor", events: events, queue: queue,
            description: nil, policy: .init())
    }
}
