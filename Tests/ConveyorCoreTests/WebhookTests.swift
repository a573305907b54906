import ConveyorCore
import Foundation
import Testing

@Suite("Webhooks: signing, the URL rules, what is delivered")
struct WebhookTests {
    @Test("signatures match the Standard Webhooks reference example, one entry per secret in force")
    func referenceSignature() throws {
        // The example of the standard's reference libraries (standard-webhooks, their tests).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let header = WebhookSignature.header(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8),
            secrets: [secret])
        #expect(header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        let other = WebhookSecret.generate()
        let both = WebhookSignature.header(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8),
            secrets: [other, secret])
        #expect(both.split(separator: " ").count == 2 && both.hasSuffix(" " + header))
    }

    @Test("a secret is whsec_ and the base64 of 32 random bytes")
    func secrets() throws {
        let secret = WebhookSecret.generate()
        #expect(secret.hasPrefix("whsec_"))
        #expect(try #require(WebhookSecret.key(of: secret)).count == 32)
        #expect(WebhookSecret.generate() != secret)
        #expect(WebhookSecret.key(of: "whsec_" + Data(count: 8).base64EncodedString()) == nil, "too short")
        #expect(WebhookSecret.key(of: "cvk_abc") == nil)
    }

    @Test(
        "addresses deliveries may not reach are named by kind",
        arguments: [
            ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("172.20.0.1", "private"), ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local, where cloud metadata services answer"), ("100.100.100.200", "shared"),
            ("0.0.0.0", "this network"), ("224.0.0.1", "multicast"), ("255.255.255.255", "reserved"),
            ("::1", "loopback"), ("::", "unspecified"), ("[fe80::1]", "link-local"), ("fd00:ec2::254", "private"),
            ("ff02::1", "multicast"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"),
            ("64:ff9b::a00:1", "private"), ("2002:c0a8:0101::1", "private"),
        ])
    func refused(_ text: String, _ kind: String) throws {
        let address = try #require(NetworkAddress(text))
        #expect(address.nonPublicKind?.hasPrefix(kind) == true, "\(text): \(address.nonPublicKind ?? "public")")
    }

    @Test("public addresses pass; host names are not addresses")
    func publicAddresses() {
        for text in ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1", "100.128.0.1"] {
            #expect(NetworkAddress(text)?.nonPublicKind == nil, "\(text)")
        }
        #expect(NetworkAddress("example.com") == nil)
        #expect(NetworkAddress("::ffff:127.0.0.1")?.description == "::ffff:127.0.0.1")
    }

    @Test("the URL rules: https with a host; http and private addresses only when allowed")
    func urlRules() throws {
        let strict = WebhookURLPolicy()
        #expect(try strict.check("https://hooks.example.com/a?b=1").absoluteString == "https://hooks.example.com/a?b=1")
        for (url, reason) in [
            ("http://hooks.example.com/", "must be an https:// URL"),
            ("ftp://hooks.example.com/", "must be an https:// URL"),
            ("hooks.example.com/x", "must be an absolute https:// URL with a host"),
            ("https://user:pw@hooks.example.com/", "must not carry a user name or password"),
            ("https://hooks.example.com/#x", "must not have a fragment"),
            ("https://127.0.0.1:8080/", "names 127.0.0.1 (loopback), which deliveries may not reach"),
            ("https://[::1]/", "names ::1 (loopback), which deliveries may not reach"),
        ] {
            #expect(throws: ValidationError(field: "url", reason: reason), "\(url)") { try strict.check(url) }
        }
        let open = WebhookURLPolicy(allowPrivateNetworks: true)
        #expect(try open.check("http://127.0.0.1:8080/hook").port == 8080)
    }

    @Test("an endpoint wants its own customer's events of the kinds and queue it names")
    func wants() throws {
        let now = Date(unixMilliseconds: 1_800_000_000_000)
        let endpoint = WebhookEndpoint(
            id: "wh_1", customer: "acme", url: "https://x.example/", events: [.completed], queue: "mail",
            description: "", secret: WebhookSecret.generate(), createdAt: now)
        func event(_ kind: EventKind, customer: String = "acme", queue: String = "mail") -> Event {
            Event(
                id: EventCursor(major: 1), kind: kind, customer: customer, jobID: JobID.generate(at: now), queue: queue,
                type: "t", attempt: 1, at: now, runAt: nil, detail: nil, result: nil)
        }
        #expect(endpoint.wants(event(.completed)))
        #expect(!endpoint.wants(event(.dead)))
        #expect(!endpoint.wants(event(.completed, customer: "globex")))
        #expect(!endpoint.wants(event(.completed, queue: "other")))
        let all = endpoint.changed(events: [], queue: .some(nil))
        #expect(all.wants(event(.dead, queue: "other")))
        #expect(!all.changed(disabledAt: now).wants(event(.dead)), "a disabled endpoint is sent nothing")
        let deliveries = WebhookDelivery.jobs(
            for: [event(.completed), event(.completed, customer: "globex")], endpoints: [endpoint, all])
        #expect(deliveries.count == 2 && deliveries.allSatisfy { $0.customer == "acme" })
    }

    @Test("the body is the event's type, time and data; retries wait the schedule's delays")
    func body() throws {
        let now = Date(unixMilliseconds: 1_800_000_000_123)
        let event = Event(
            id: EventCursor(major: 7, minor: 2), kind: .completed, customer: "acme", jobID: JobID.generate(at: now),
            queue: "mail", type: "email.send", attempt: 2, at: now, runAt: nil, detail: nil,
            result: try JobPayload(json: #"{"n": 1.50}"#))
        let endpoint = WebhookEndpoint(
            id: "wh_1", customer: "acme", url: "https://x.example/", events: [], queue: nil, description: "",
            secret: WebhookSecret.generate(), createdAt: now)
        let delivery = WebhookDelivery(event, to: endpoint)
        #expect(delivery.messageID == "msg_7-2")
        #expect(
            delivery.body
                == #"{"type":"job.completed","timestamp":"2027-01-15T08:00:00.123Z","data":"#
                + EventResource(event: event).data + "}")
        #expect(delivery.body.contains(#""result":{"n": 1.50}"#) && delivery.body.contains(#""state":"completed""#))
        let job = delivery.job(customer: "acme")
        #expect(try WebhookDelivery(payload: job.payload) == delivery)
        #expect(WebhookDelivery.retryDelay(afterAttempt: 1) == .seconds(5))
        #expect(WebhookDelivery.retryDelay(afterAttempt: 7) == .seconds(36000))
        let total = WebhookDelivery.retryDelays.reduce(Duration.zero, +)
        #expect(total > .seconds(24 * 3600) && total < .seconds(30 * 3600), "about a day")
    }
}
