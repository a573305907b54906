import ConveyorCore
import ConveyorServer
import ConveyorTestSupport
import Foundation
import Testing

/// `/metrics` with the Prometheus backend: every path that records a metric is exercised through a
/// running server, then scraped and read back as Prometheus text.
@Suite("Prometheus metrics")
struct MetricsTests {
    /// The value of the sample `name{labels}` in a scrape; nil when there is no such line.
    static func sample(_ scrape: String, _ name: String, _ labels: [(String, String)] = []) -> Double? {
        let series = labels.isEmpty ? name : name + "{" + labels.map { "\($0)=\"\($1)\"" }.joined(separator: ",") + "}"
        for line in scrape.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    static let acmeDefault = [("customer", "acme"), ("queue", "default")]

    @Test(
        "enqueue, claim, complete, fail, dead, rescue, cancel, HTTP, rate limits and the gauges all show in a scrape",
        arguments: Engine.available)
    func everyPath(_ engine: Engine) async throws {
        let clock = TestClock()
        let export = MetricsExport.prometheus()
        let (base, remove) = try await engine.openStore(clock: clock)
        let store = MeteredJobStore(base, metrics: export.metrics, clock: clock)
        _ = try await store.createCustomer("acme")
        let (acme, acmeSecret) = APIKeySecret.generate(customer: "acme")
        let (admin, adminSecret) = APIKeySecret.generate(customer: nil)
        _ = try await store.createAPIKey(acme)
        _ = try await store.createAPIKey(admin)
        let health = HealthConfiguration(
            version: "t", leaderRole: "maintenance", drainDelay: .zero, reuseFor: .zero, keyLookup: .seconds(30))
        let server = try await ServerHarness.serve(
            store,
            // Patient: the scrape counts decisions by mode, and beside the whole suite a store's
            // answer has taken over the default second (the node then decides in memory).
            rateLimits: RateLimiter.Configuration(
                policy: try RateLimitPolicy(requests: 6, windowSeconds: 3600), storeTimeout: .seconds(30)),
            health: health, clock: clock, keys: (acmeSecret, "", adminSecret), export: export, cleanup: remove)
        do {
            func enqueue() async throws -> Int {
                try await server.send(
                    "POST", "/api/queue/acme", key: acmeSecret, json: #"{"queue":"default","type":"t","payload":{}}"#
                ).status
            }
            func claim(lease: Int = 30) async throws -> (id: String, token: String) {
                let answer = try await server.send(
                    "POST", "/api/workers/claim", key: acmeSecret,
                    json: #"{"queues":["default"],"lease_seconds":\#(lease)}"#
                )
                let job = try #require((answer.json["jobs"] as? [[String: Any]])?.first, "\(answer.json)")
                return (try #require(job["id"] as? String), try #require(job["lease_token"] as? String))
            }
            // Five jobs (five allowed requests); each waits 10 s before its claim.
            for _ in 0..<5 { #expect(try await enqueue() == 201) }
            clock.advance(by: .seconds(10))
            // One completes after running 2 s; one fails for good (one attempt allowed: it is dead);
            let (done, doneToken) = try await claim()
            clock.advance(by: .seconds(2))
            #expect(
                try await server.send(
                    "POST", "/api/jobs/\(done)/complete", key: acmeSecret, json: #"{"lease_token":"\#(doneToken)"}"#
                ).status == 200)
            let (doomed, doomedToken) = try await claim()
            #expect(
                try await server.send(
                    "POST", "/api/jobs/\(doomed)/fail", key: acmeSecret,
                    json: #"{"lease_token":"\#(doomedToken)","error":"bad","retryable":false}"#
                ).status == 200)
            // one is held by a worker that dies and is rescued; one is cancelled; one stays waiting.
            _ = try await claim(lease: 5)
            clock.advance(by: .seconds(60))
            #expect(try await store.rescueStaleJobs(grace: .zero).count == 1)
            let waiting = try await store.list(
                try JobQuery(filter: try JobFilter(customer: "acme", states: [.available])))
            let cancelled = try #require(waiting.jobs.first)
            #expect(try await server.send("POST", "/api/jobs/\(cancelled.id)/cancel", key: acmeSecret).status == 200)
            // The request quota of 6 is spent by now (5 enqueues, a cancellation; the 3 claims spent
            // the worker quota, the completion and the failure nothing): the next request is limited.
            #expect(try await enqueue() == 429)
            _ = try await store.registerWorker(
                try WorkerRegistration(id: "w", host: "box", pid: 1, queues: ["default"], concurrency: 1))

            #expect(try await server.send("GET", "/metrics", key: nil).status == 401)
            #expect(try await server.send("GET", "/metrics", key: acmeSecret).status == 403)
            let answer = try await server.send("GET", "/metrics", key: adminSecret)
            #expect(answer.status == 200 && answer.contentType?.hasPrefix("text/plain; version=0.0.4") == true)
            let scrape = String(decoding: answer.body, as: UTF8.self)
            let name = ConveyorMetrics.Name.self
            #expect(Self.sample(scrape, name.jobsEnqueued, Self.acmeDefault) == 5)
            #expect(Self.sample(scrape, name.jobsCompleted, Self.acmeDefault) == 1)
            #expect(Self.sample(scrape, name.jobsFailed, Self.acmeDefault) == 1)
            #expect(Self.sample(scrape, name.jobsDead, Self.acmeDefault) == 1)
            #expect(Self.sample(scrape, name.jobsRescued, Self.acmeDefault) == 1)
            #expect(Self.sample(scrape, name.jobsCancelled, Self.acmeDefault) == 1)
            // Three claims, each after 10 s or more of waiting; one run of 2 s, one of ~0 s.
            #expect(Self.sample(scrape, name.jobQueueWait + "_count", Self.acmeDefault) == 3)
            #expect(Self.sample(scrape, name.jobQueueWait + "_bucket", Self.acmeDefault + [("le", "5.0")]) == 0)
            #expect(Self.sample(scrape, name.jobQueueWait + "_bucket", Self.acmeDefault + [("le", "30.0")]) == 3)
            #expect(Self.sample(scrape, name.jobRunDuration + "_count", Self.acmeDefault) == 2)
            #expect(Self.sample(scrape, name.jobRunDuration + "_bucket", Self.acmeDefault + [("le", "1.0")]) == 1)
            #expect(Self.sample(scrape, name.jobRunDuration + "_bucket", Self.acmeDefault + [("le", "5.0")]) == 2)
            // The gauges, as of the scrape: one job ready (the rescued one waits out its backoff), for 72 s.
            #expect(Self.sample(scrape, name.queueDepth, Self.acmeDefault) == 1)
            #expect(Self.sample(scrape, name.queueOldestAge, Self.acmeDefault) == 72)
            #expect(Self.sample(scrape, name.deadLetters) == 1)
            #expect(Self.sample(scrape, name.liveWorkers) == 1)
            // Requests by route pattern and status, with latencies.
            let enqueueRoute = [("route", "/api/queue/{customerId}"), ("method", "POST")]
            #expect(Self.sample(scrape, name.httpRequests, enqueueRoute + [("status", "201")]) == 5)
            #expect(Self.sample(scrape, name.httpRequests, enqueueRoute + [("status", "429")]) == 1)
            #expect(Self.sample(scrape, name.httpDuration + "_count", enqueueRoute + [("status", "201")]) == 5)
            let metricsRoute = [("route", "/metrics"), ("method", "GET")]
            #expect(Self.sample(scrape, name.httpRequests, metricsRoute + [("status", "401")]) == 1)
            #expect(Self.sample(scrape, name.httpRequests, metricsRoute + [("status", "403")]) == 1)
            let failRoute = [("route", "/api/jobs/{id}/fail"), ("method", "POST"), ("status", "200")]
            #expect(Self.sample(scrape, name.httpRequests, failRoute) == 1, "ids never become label values")
            // Rate-limit decisions by outcome and mode.
            // 6 requests and 3 claims allowed.
            #expect(Self.sample(scrape, name.rateLimitDecisions, [("decision", "allowed"), ("mode", "store")]) == 9)
            #expect(Self.sample(scrape, name.rateLimitDecisions, [("decision", "limited"), ("mode", "store")]) == 1)
            #expect(Self.sample(scrape, name.rateLimitDecisions, [("decision", "allowed"), ("mode", "fallback")]) == 0)

            // A queue that empties reads 0, not its last value.
            let last = try #require(try await store.claim(ClaimRequest(queues: ["default"], lease: .seconds(30))).first)
            _ = try await store.complete(try #require(last.lease))
            let after = String(decoding: try await server.send("GET", "/metrics", key: adminSecret).body, as: UTF8.self)
            #expect(Self.sample(after, name.queueDepth, Self.acmeDefault) == 0)
            #expect(Self.sample(after, name.jobsCompleted, Self.acmeDefault) == 2)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("alert deliveries are counted by rule, sent and failed apart")
    func alerts() {
        let export = MetricsExport.prometheus()
        export.metrics.alert(rule: "dlq_size", delivered: true)
        export.metrics.alert(rule: "dlq_size", delivered: true)
        export.metrics.alert(rule: "stale_rescues", delivered: false)
        let scrape = String(decoding: export.registry.emitToBuffer(), as: UTF8.self)
        #expect(Self.sample(scrape, ConveyorMetrics.Name.alertsSent, [("rule", "dlq_size")]) == 2)
        #expect(Self.sample(scrape, ConveyorMetrics.Name.alertsFailed, [("rule", "stale_rescues")]) == 1)
    }

    @Test("webhook delivery attempts are counted by customer and outcome, through the store that records them")
    func webhookAttempts() async throws {
        let export = MetricsExport.prometheus()
        let (base, cleanup) = try await Engine.sqlite.openStore()
        defer { Task { await cleanup() } }
        let store = MeteredJobStore(base, metrics: export.metrics)
        _ = try await store.createCustomer("acme")
        let endpoint = try await store.createWebhook(
            try WebhookEndpointDraft(
                customer: "acme", url: "https://93.184.215.14/hook", events: nil, queue: nil, description: nil,
                policy: .init()), secret: WebhookSecret.generate())
        for status in [204, 200, 503, nil, 410] as [Int?] {
            _ = try await store.recordWebhookAttempt(
                WebhookAttempt(
                    endpointID: endpoint.id, jobID: JobID.generate(at: Date()), messageID: "msg_1",
                    event: "job.completed", attempt: 1, at: Date(), statusCode: status, latencyMilliseconds: 3,
                    error: status.map { (200..<300).contains($0) ? nil : "answered \($0)" } ?? "refused"))
        }
        let scrape = String(decoding: export.registry.emitToBuffer(), as: UTF8.self)
        let name = ConveyorMetrics.Name.webhookAttempts
        #expect(Self.sample(scrape, name, [("customer", "acme"), ("outcome", "delivered")]) == 2)
        #expect(Self.sample(scrape, name, [("customer", "acme"), ("outcome", "failed")]) == 2)
        #expect(Self.sample(scrape, name, [("customer", "acme"), ("outcome", "gone")]) == 1)
    }
}
