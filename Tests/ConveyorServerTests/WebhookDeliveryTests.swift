import ConveyorCore
import ConveyorServer
import ConveyorTestSupport
import ConveyorWebhooks
import Crypto
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite("Webhooks: signed deliveries to customers' endpoints, as jobs")
struct WebhookDeliveryTests {
    /// Checks a delivery as a receiver following Standard Webhooks 1.0 would, written here from
    /// the specification: the secret's key is the base64 after `whsec_`; the signed content is
    /// `{webhook-id}.{webhook-timestamp}.{body}`; the signature header lists `v1,<base64 of the
    /// HMAC-SHA256>` entries separated by spaces, any one of which may match; the timestamp is
    /// within five minutes of now. Returns how many entries matched `secret`.
    static func verify(_ delivery: WebhookReceiver.Delivery, secret: String, now: Date = Date()) throws -> Int {
        let id = try #require(delivery.headers["webhook-id"])
        let timestamp = try #require(delivery.headers["webhook-timestamp"].flatMap { Int64($0) })
        #expect(abs(Double(timestamp) - now.timeIntervalSince1970) < 300, "a timestamp within 5 minutes")
        let key = try #require(Data(base64Encoded: String(secret.dropFirst("whsec_".count))))
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(delivery.body)
        let expected = Data(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key)))
        let entries = try #require(delivery.headers["webhook-signature"]).split(separator: " ")
        return entries.filter { entry in
            guard entry.hasPrefix("v1,"), let signature = Data(base64Encoded: String(entry.dropFirst(3))) else {
                return false
            }
            return signature.count == expected.count && zip(signature, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        }.count
    }

    /// Runs `body` with a server whose URL rules let it reach the local receiver, the delivery
    /// services beside it on the same store, and the receiver.
    static func withDeliveries(
        _ engine: Engine, clock: any WallClock = SystemClock(), concurrency: Int = 8, perCustomer: Int = 2,
        answerTimeout: Duration = .seconds(15),
        policy: WebhookURLPolicy = WebhookURLPolicy(allowPrivateNetworks: true),
        _ body: (ServerHarness, WebhookReceiver) async throws -> Void
    ) async throws {
        let receiver = try await WebhookReceiver.start()
        let server = try await ServerHarness.start(engine, clock: clock, webhooks: policy)
        let delivery = WebhookDeliveryServices(
            policy: policy, concurrency: concurrency, perCustomer: perCustomer, answerTimeout: answerTimeout)
        let group = ServiceGroup(
            services: try delivery.services(store: server.store, clock: clock, logger: Logger(label: "test-webhooks")),
            logger: Logger(label: "test-webhooks"))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        do {
            try await body(server, receiver)
        } catch {
            await receiver.stop()
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            await server.stop()
            throw error
        }
        await receiver.stop()
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await server.stop()
    }

    /// Registers an endpoint for acme through the API: its id and secret.
    static func register(
        _ server: ServerHarness, _ url: String, customer: String = "acme", events: String = #"["*"]"#
    ) async throws -> (id: String, secret: String) {
        let key = customer == "acme" ? server.acmeKey : server.globexKey
        let made = try await server.send(
            "POST", "/api/queue/\(customer)/webhooks", key: key, json: #"{"url":"\#(url)","events":\#(events)}"#)
        #expect(made.status == 201, "\(String(decoding: made.body, as: UTF8.self))")
        return (try #require(made.json["id"] as? String), try #require(made.json["secret"] as? String))
    }

    @Test(
        "every event of a job reaches its endpoint, signed; a rotated secret signs beside the old",
        arguments: Engine.available)
    func signedDeliveries(_ engine: Engine) async throws {
        try await Self.withDeliveries(engine) { server, receiver in
            let (id, secret) = try await Self.register(server, receiver.base + "/hooks/acme")
            #expect(
                try await server.send("GET", "/api/queue/acme/webhooks/\(id)", key: server.acmeKey).json["secret"]
                    == nil)
            let created = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            let jobID = try #require(created.json["id"] as? String)
            let job = try await server.store.claim(ClaimRequest(queues: ["mail"], limit: 1)).first
            let result = try JobPayload(json: #"{"sent": true, "ms": 12.50}"#)
            _ = try await server.store.complete(Completion(try #require(job?.lease), result: result))
            try await poll("three deliveries") { receiver.deliveries(to: "/hooks/acme").count >= 3 }
            // Deliveries run side by side: they may arrive in any order (the data's id orders them).
            let delivered = receiver.deliveries(to: "/hooks/acme").sorted {
                EventCursor($0.data["id"] as? String ?? "")! < EventCursor($1.data["id"] as? String ?? "")!
            }
            #expect(delivered.map(\.type) == ["job.enqueued", "job.started", "job.completed"])
            for delivery in delivered {
                #expect(try Self.verify(delivery, secret: secret) == 1)
                #expect(delivery.headers["content-type"] == "application/json")
                #expect(delivery.data["job_id"] as? String == jobID && delivery.data["customer"] as? String == "acme")
                #expect(delivery.headers["webhook-id"] == "msg_\(delivery.data["id"] as? String ?? "?")")
                #expect(delivery.json["timestamp"] as? String == delivery.data["at"] as? String)
            }
            #expect(delivered[2].data["state"] as? String == "completed")
            #expect(
                String(decoding: delivered[2].body, as: UTF8.self).contains(#""result":{"sent": true, "ms": 12.50}"#))
            #expect(try Self.verify(delivered[0], secret: WebhookSecret.generate()) == 0, "another secret fails")

            let rotated = try await server.send(
                "POST", "/api/queue/acme/webhooks/\(id)/rotate-secret", key: server.acmeKey)
            let newSecret = try #require(rotated.json["secret"] as? String)
            #expect(newSecret != secret && newSecret.hasPrefix("whsec_"))
            _ = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            try await poll("the delivery after the rotation") { receiver.deliveries(to: "/hooks/acme").count >= 4 }
            let after = try #require(receiver.deliveries(to: "/hooks/acme").last)
            #expect(after.headers["webhook-signature"]?.split(separator: " ").count == 2)
            #expect(try Self.verify(after, secret: newSecret) == 1 && Self.verify(after, secret: secret) == 1)
            // Each attempt is logged once its answer came.
            var log: [[String: Any]] = []
            try await poll("four attempts logged") {
                let attempts = try await server.send(
                    "GET", "/api/queue/acme/webhooks/\(id)/attempts", key: server.acmeKey)
                log = attempts.json["attempts"] as? [[String: Any]] ?? []
                return log.count == 4
            }
            #expect(log.allSatisfy { $0["status_code"] as? Int == 204 && $0["latency_ms"] is Int })
        }
    }

    @Test(
        "a failing endpoint is retried on the schedule, dead after the last, replayed from the DLQ; 410 disables it",
        arguments: Engine.available)
    func retries(_ engine: Engine) async throws {
        let clock = TestClock(start: Date())
        try await Self.withDeliveries(engine, clock: clock) { server, receiver in
            let (id, _) = try await Self.register(server, receiver.base + "/hooks/down", events: #"["job.enqueued"]"#)
            receiver.plan("/hooks/down", Array(repeating: 503, count: WebhookDelivery.maxAttempts))
            _ = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            for attempt in 1...WebhookDelivery.maxAttempts {
                try await poll("attempt \(attempt)") { receiver.deliveries(to: "/hooks/down").count == attempt }
                try await poll("attempt \(attempt) recorded") {
                    try await server.store.webhookAttempts(endpointID: id, customer: nil, limit: 10).count
                        == min(attempt, 10)
                }
                if attempt < WebhookDelivery.maxAttempts {
                    try await poll("the delivery to be retryable") {
                        try await server.store.list(
                            JobQuery(filter: JobFilter(customer: "acme", states: [.retryable]), limit: 10)
                        ).jobs.contains { $0.queue == WebhookDelivery.queue }
                    }
                    clock.advance(by: WebhookDelivery.retryDelay(afterAttempt: attempt))
                }
            }
            let ids = Set(receiver.deliveries(to: "/hooks/down").map { $0.headers["webhook-id"] ?? "" })
            #expect(ids.count == 1, "one message id for every retry")
            var dead: [[String: Any]] = []
            try await poll("the delivery in acme's dead-letter queue") {
                dead =
                    try await server.send("GET", "/api/dlq", key: server.acmeKey).json["jobs"] as? [[String: Any]] ?? []
                return dead.contains { $0["queue"] as? String == WebhookDelivery.queue }
            }
            let deadID = try #require(dead.first { $0["queue"] as? String == WebhookDelivery.queue }?["id"] as? String)
            let endpoint = try await server.send("GET", "/api/queue/acme/webhooks/\(id)", key: server.acmeKey).json
            #expect(endpoint["enabled"] as? Bool == true && endpoint["failing_since"] is String)
            // Replayed, it is delivered (the plan is spent: 204), and the streak ends.
            let replayed = try await server.send(
                "POST", "/api/dlq/replay", key: server.acmeKey, json: #"{"ids":["\#(deadID)"]}"#)
            #expect(replayed.status == 200)
            try await poll("the replayed delivery") {
                receiver.deliveries(to: "/hooks/down").count == WebhookDelivery.maxAttempts + 1
            }
            try await poll("the streak to end") {
                try await server.store.webhook(id: id, customer: nil).failingSince == nil
            }
            // 410 Gone disables the endpoint at once; nothing more is sent to it.
            receiver.plan("/hooks/down", [410])
            _ = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            try await poll("the endpoint disabled") { try await !server.store.webhook(id: id, customer: nil).isEnabled }
            let shown = try await server.send("GET", "/api/queue/acme/webhooks/\(id)", key: server.acmeKey).json
            #expect(
                shown["enabled"] as? Bool == false
                    && shown["disabled_reason"] as? String == "the endpoint answered 410 Gone")
        }
    }

    @Test("a customer whose endpoint hangs does not hold up another customer's deliveries", arguments: Engine.available)
    func fairness(_ engine: Engine) async throws {
        // globex's requests are held until the test ends: none times out and frees its slot.
        try await Self.withDeliveries(engine, concurrency: 8, perCustomer: 2, answerTimeout: .seconds(300)) {
            server, receiver in
            receiver.slow("/hooks/globex")
            _ = try await Self.register(
                server, receiver.base + "/hooks/globex", customer: "globex", events: #"["job.enqueued"]"#)
            _ = try await Self.register(server, receiver.base + "/hooks/acme", events: #"["job.enqueued"]"#)
            for _ in 0..<20 {
                _ = try await server.send(
                    "POST", "/api/queue/globex", key: server.globexKey, json: QueueRoutesTests.email)
            }
            try await poll("globex's endpoint to be holding deliveries") {
                receiver.deliveries(to: "/hooks/globex").count >= 2
            }
            for _ in 0..<10 {
                _ = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            }
            try await poll("every acme delivery while globex's hang", timeout: .seconds(15)) {
                receiver.deliveries(to: "/hooks/acme").count == 10
            }
            #expect(receiver.mostHeld("/hooks/globex") == 2, "globex holds its two slots, no more")
        }
    }

    @Test(
        "URLs reaching private networks are refused when registered and again when delivered",
        arguments: Engine.available)
    func requestForgery(_ engine: Engine) async throws {
        try await Self.withDeliveries(engine, policy: WebhookURLPolicy()) { server, receiver in
            for (url, reason) in [
                ("http://hooks.example.com/x", "must be an https:// URL"),
                ("https://127.0.0.1/x", "names 127.0.0.1 (loopback), which deliveries may not reach"),
                (
                    "https://169.254.169.254/latest/meta-data",
                    "names 169.254.169.254 (link-local, where cloud metadata services answer), which deliveries may not reach"
                ),
                (
                    "https://localhost/x",
                    "has a host, localhost, that resolves to 127.0.0.1 (loopback), which deliveries may not reach"
                ),
            ] {
                let refused = try await server.send(
                    "POST", "/api/queue/acme/webhooks", key: server.acmeKey, json: #"{"url":"\#(url)"}"#)
                #expect(refused.status == 422 && refused.json["field"] as? String == "url", "\(url)")
                #expect(refused.json["detail"] as? String == "url \(reason)", "\(url)")
            }
            // One that passed when registered (its DNS answered otherwise then) is checked again.
            let port = try #require(URL(string: receiver.base)?.port)
            let stored = try await server.store.createWebhook(
                try WebhookEndpointDraft(
                    customer: "acme", url: "https://localhost:\(port)/hooks/acme", events: nil, queue: nil,
                    description: nil, policy: .init(allowPrivateNetworks: true)), secret: WebhookSecret.generate())
            _ = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            var attempts: [WebhookAttempt] = []
            try await poll("the refused attempt") {
                attempts = try await server.store.webhookAttempts(endpointID: stored.id, customer: nil, limit: 5)
                return !attempts.isEmpty
            }
            #expect(
                attempts[0].statusCode == nil
                    && attempts[0].error?.hasPrefix("not sent: the URL has a host, localhost") == true)
            #expect(receiver.deliveries.isEmpty)
        }
    }

    @Test("a redirect is not followed: it is a failed attempt", arguments: Engine.available)
    func redirects(_ engine: Engine) async throws {
        try await Self.withDeliveries(engine) { server, receiver in
            let (id, _) = try await Self.register(server, receiver.base + "/hooks/moved", events: #"["job.enqueued"]"#)
            receiver.plan("/hooks/moved", [307])
            _ = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            var attempts: [WebhookAttempt] = []
            try await poll("the attempt") {
                attempts = try await server.store.webhookAttempts(endpointID: id, customer: nil, limit: 5)
                return !attempts.isEmpty
            }
            #expect(attempts[0].statusCode == 307 && attempts[0].outcome == .failed)
            #expect(receiver.deliveries(to: "/hooks/redirected").isEmpty)
        }
    }

    @Test(
        "an answer is read up to 64 KiB and no further, within the answer timeout: an endless 200 is a success, a trickling one a timeout",
        arguments: Engine.available)
    func longAnswers(_ engine: Engine) async throws {
        // Were the whole answer read, the endless one would end at the timeout too, as a failure.
        try await Self.withDeliveries(engine, answerTimeout: .seconds(1)) { server, receiver in
            let (endless, _) = try await Self.register(
                server, receiver.base + "/hooks/endless", events: #"["job.enqueued"]"#)
            let (trickling, _) = try await Self.register(
                server, receiver.base + "/hooks/trickling", events: #"["job.enqueued"]"#)
            receiver.endless("/hooks/endless")
            receiver.endless("/hooks/trickling", trickling: true)
            _ = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            var attempts: [String: [WebhookAttempt]] = [:]
            try await poll("both attempts") {
                for id in [endless, trickling] {
                    attempts[id] = try await server.store.webhookAttempts(endpointID: id, customer: nil, limit: 5)
                }
                return attempts.values.allSatisfy { !$0.isEmpty }
            }
            let whole = try #require(attempts[endless]?.first)
            #expect(whole.statusCode == 200 && whole.outcome == .delivered && whole.error == nil)
            let late = try #require(attempts[trickling]?.first)
            #expect(late.statusCode == nil && late.outcome == .failed && late.error == "no answer within 1 s")
        }
    }

    @Test("the README's verifications, Python's and JavaScript's, accept a real delivery and refuse a tampered one")
    func readmeVerifications() async throws {
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../README.md"), encoding: .utf8)
        func example(_ opening: String) throws -> String {
            let start = try #require(readme.range(of: opening))
            let end = try #require(readme[start.upperBound...].range(of: "```"))
            return String(readme[start.upperBound..<end.lowerBound])
        }
        let python =
            try example("```python\nimport base64, hashlib, hmac, time\n") + """

                import base64, hashlib, hmac, json, sys, time
                headers = json.loads(sys.argv[1])
                body = base64.b64decode(sys.argv[2])
                print(verify(headers, body, sys.argv[3]), verify(headers, body + b" ", sys.argv[3]))
                """
        let javascript =
            try example("```js\n") + """

                const [headers, body, secret] = [JSON.parse(process.argv[1]), Buffer.from(process.argv[2], "base64"), process.argv[3]];
                const python = (value) => (value ? "True" : "False");
                console.log(python(verify(headers, body, secret)), python(verify(headers, Buffer.concat([body, Buffer.from(" ")]), secret)));
                """
        try await Self.withDeliveries(.sqlite) { server, receiver in
            let (_, secret) = try await Self.register(
                server, receiver.base + "/hooks/readme", events: #"["job.enqueued"]"#)
            _ = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            try await poll("the delivery") { !receiver.deliveries(to: "/hooks/readme").isEmpty }
            let delivery = try #require(receiver.deliveries(to: "/hooks/readme").first)
            let arguments = [
                String(decoding: try JSONSerialization.data(withJSONObject: delivery.headers), as: UTF8.self),
                delivery.body.base64EncodedString(), secret,
            ]
            for (program, script) in [
                ("python3", ["-c", "import base64, hashlib, hmac, time\n" + python]),
                ("node", ["--input-type=module", "-e", javascript]),
            ] {
                let (status, output) = try await Program.run(program, script + arguments)
                #expect(
                    status == 0 && output.trimmingCharacters(in: .whitespacesAndNewlines) == "True False",
                    "\(program): \(output)")
            }
        }
    }
}
