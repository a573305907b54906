import ConveyorCore
import ConveyorServer
import Foundation
import Testing

/// The rate limit as a client meets it: real HTTP on loopback, the real store deciding.
@Suite("Rate limiting over HTTP")
struct RateLimitTests {
    static let enqueue = #"{"queue":"mail","type":"email.send","payload":{"n":1}}"#

    /// The `r` and `t` of a `RateLimit` header.
    static func remaining(_ answer: ServerHarness.Answer) -> (r: Int, t: Int)? {
        guard let value = answer.header("RateLimit"),
            let match = value.wholeMatch(of: /"(?:default|worker)";r=(\d+);t=(\d+)/)
        else { return nil }
        return (Int(match.1)!, Int(match.2)!)
    }

    @Test(
        "of 105 enqueues in a window exactly 100 are accepted; the rest are 429s that write nothing",
        arguments: Engine.available)
    func sequential(_ engine: Engine) async throws {
        // The store decides every one, as in `concurrent` below: on a loaded machine the default
        // timeout would send some to the in-memory fallback, whose counts are its own. And the
        // window is an hour: under the whole suite's load 105 requests have taken over a minute,
        // and the first ones slid out of a minute's window, as they should.
        let policy = try RateLimitPolicy(requests: 100, windowSeconds: 3600)
        try await withServer(engine, rateLimits: .init(policy: policy, storeTimeout: .seconds(30))) { server in
            var answers: [ServerHarness.Answer] = []
            for _ in 0..<105 {
                answers.append(
                    try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: Self.enqueue))
            }
            #expect(answers.map(\.status) == Array(repeating: 201, count: 100) + Array(repeating: 429, count: 5))
            #expect(answers.allSatisfy { $0.header("RateLimit-Policy") == #""default";q=100;w=3600"# })
            #expect(answers.compactMap { Self.remaining($0)?.r } == Array((0..<100).reversed()) + [0, 0, 0, 0, 0])
            for refused in answers.suffix(5) {
                let retryAfter = try #require(refused.header("Retry-After").flatMap { Int($0) })
                #expect((1...3600).contains(retryAfter))
                // Retry-After never points earlier than the t of RateLimit.
                #expect(retryAfter >= Self.remaining(refused)?.t ?? .max)
                #expect(refused.contentType == "application/problem+json")
                #expect((refused.json["type"] as? String)?.hasSuffix("/quota-exceeded") == true)
                #expect(refused.json["status"] as? Int == 429)
            }
            #expect(try await server.store.counts(customer: "acme").flatMap(\.counts.values).reduce(0, +) == 100)
            // Another customer's quota is its own.
            let globex = try await server.send("POST", "/api/queue/globex", key: server.globexKey, json: Self.enqueue)
            #expect(globex.status == 201 && Self.remaining(globex)?.r == 99)
        }
    }

    @Test("105 concurrent enqueues of one customer: exactly 100 are accepted", arguments: Engine.available)
    func concurrent(_ engine: Engine) async throws {
        // The store decides every one of them: a generous timeout keeps a loaded test machine
        // (the whole suite runs at once) from sending some to the in-memory fallback, whose
        // overshoot is its own, documented, tested behaviour (RateLimitFallbackTests).
        try await withServer(engine, rateLimits: .init(storeTimeout: .seconds(30))) { server in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<105 {
                    group.addTask {
                        try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: Self.enqueue).status
                    }
                }
                return try await group.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(statuses == [201: 100, 429: 5])
            #expect(try await server.store.counts(customer: "acme").flatMap(\.counts.values).reduce(0, +) == 100)
            // Exact because the store decided throughout: no request fell back to memory.
            #expect(server.rateLimiter?.mode == .store)
        }
    }

    @Test("every limited answer carries the headers, errors too; admin keys and open routes are not limited")
    func headersEverywhere() async throws {
        let policy = try RateLimitPolicy(requests: 3, windowSeconds: 3600)
        try await withServer(.sqlite, rateLimits: .init(policy: policy)) { server in
            let missing = try await server.send(
                "GET", "/api/jobs/00000000-0000-7000-8000-000000000000", key: server.acmeKey)
            #expect(missing.status == 404)
            #expect(missing.header("RateLimit-Policy") == #""default";q=3;w=3600"#)
            #expect(Self.remaining(missing)?.r == 2)
            let invalid = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: "{")
            #expect(invalid.status == 400 && Self.remaining(invalid)?.r == 1)
            for _ in 0..<5 {
                let admin = try await server.send("GET", "/api/admin/customers", key: server.adminKey)
                #expect(admin.status == 200 && admin.header("RateLimit") == nil)
            }
            let document = try await server.send("GET", "/openapi.json", key: nil)
            #expect(document.status == 200 && document.header("RateLimit") == nil)
        }
    }

    @Test("/api/health and /metrics limit refused keys by client address; no key and good keys are never limited")
    func monitoringGuesses() async throws {
        let policy = try RateLimitPolicy(requests: 3, windowSeconds: 3600)
        // A store timeout a loaded machine meets: a decision that fell back to memory would count
        // anew, and a key lookup given up on would be no guess (the whole suite once made it 503).
        let server = try await ServerHarness.start(
            .sqlite, rateLimits: .init(policy: policy, storeTimeout: .seconds(30)),
            health: HealthConfiguration(version: "t", leaderRole: "r", keyLookup: .seconds(30)))
        do {
            let guess = "cvk_" + String(repeating: "x", count: 32)
            var statuses: [Int] = []
            for path in ["/api/health", "/metrics", "/api/health", "/metrics"] {
                statuses.append(try await server.send("GET", path, key: guess).status)
            }
            // /api/health answers with the machine's health (503 when a loaded machine fails a
            // threshold): the point here is that the guess was not limited until the fourth.
            #expect(
                statuses.map { $0 == 503 ? 200 : $0 } == [200, 401, 200, 429],
                "three refused keys, then the address's quota is spent: \(statuses)")
            let refused = try await server.send("GET", "/api/health", key: guess)
            #expect(refused.status == 429 && refused.header("Retry-After") != nil)
            for _ in 0..<5 {
                let probe = try await server.send("GET", "/api/health", key: nil).status
                #expect([200, 503].contains(probe), "a probe has no key, and is never limited: \(probe)")
                #expect(try await server.send("GET", "/metrics", key: server.adminKey).status == 200)
            }
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test(
        "requests without a valid key spend their client address's quota; X-Forwarded-For counts only from a trusted proxy"
    )
    func perClient() async throws {
        let policy = try RateLimitPolicy(requests: 2, windowSeconds: 3600)
        try await withServer(.sqlite, rateLimits: .init(policy: policy)) { server in
            let first = try await server.send(
                "GET", "/api/queue/acme", key: nil, headers: ["X-Forwarded-For": "192.0.2.1"])
            #expect(first.status == 401 && Self.remaining(first)?.r == 1)
            let badKey = try await server.send(
                "GET", "/api/queue/acme", key: "cvk_notakeyatallnotakeyatallnotakey",
                headers: ["X-Forwarded-For": "192.0.2.2"])
            #expect(badKey.status == 401 && Self.remaining(badKey)?.r == 0)
            // The peer (127.0.0.1) is not a trusted proxy: the forwarded addresses changed nothing.
            let third = try await server.send(
                "GET", "/api/queue/acme", key: nil, headers: ["X-Forwarded-For": "192.0.2.3"])
            #expect(third.status == 429 && third.header("Retry-After") != nil)
            // A customer key is counted apart from the address it comes from.
            #expect(try await server.send("GET", "/api/queue/acme", key: server.acmeKey).status == 200)
        }
        let trusted = RateLimiter.Configuration(
            policy: policy, trustedProxies: try TrustedProxies(parsing: "127.0.0.0/8"))
        try await withServer(.sqlite, rateLimits: trusted) { server in
            for client in ["192.0.2.1", "192.0.2.2"] {
                for expected in [401, 401, 429] {
                    let answer = try await server.send(
                        "GET", "/api/queue/acme", key: nil, headers: ["X-Forwarded-For": "203.0.113.9, \(client)"])
                    #expect(answer.status == expected, "client \(client)")
                }
            }
        }
    }

    @Test("an admin gives a customer its own limit and takes it back", arguments: Engine.available)
    func customerPolicy(_ engine: Engine) async throws {
        // A patient limiter: beside the whole suite a store's answer has taken over the default
        // second, and the node then counted in memory (its fallback), not in the store.
        try await withServer(engine, rateLimits: .init(storeTimeout: .seconds(30))) { server in
            let set = try await server.send(
                "PUT", "/api/admin/customers/acme/rate-limit", key: server.adminKey,
                json: #"{"requests":2,"window_seconds":3600}"#)
            #expect(set.status == 200)
            #expect(set.json["rate_limit"] as? [String: Int] == ["requests": 2, "window_seconds": 3600])
            var statuses: [Int] = []
            for _ in 0..<3 {
                let answer = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: Self.enqueue)
                #expect(answer.header("RateLimit-Policy") == #""default";q=2;w=3600"#)
                statuses.append(answer.status)
            }
            #expect(statuses == [201, 201, 429])
            let cleared = try await server.send("DELETE", "/api/admin/customers/acme/rate-limit", key: server.adminKey)
            #expect(cleared.status == 200 && cleared.json["rate_limit"] is NSNull)
            let back = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: Self.enqueue)
            #expect(back.status == 201 && Self.remaining(back)?.r == 97)

            let zero = try await server.send(
                "PUT", "/api/admin/customers/acme/rate-limit", key: server.adminKey,
                json: #"{"requests":0,"window_seconds":60}"#)
            #expect(zero.status == 422 && zero.json["field"] as? String == "requests")
            let unknown = try await server.send(
                "PUT", "/api/admin/customers/initech/rate-limit", key: server.adminKey,
                json: #"{"requests":5,"window_seconds":60}"#)
            #expect(unknown.status == 404)
            let byCustomer = try await server.send(
                "PUT", "/api/admin/customers/acme/rate-limit", key: server.acmeKey,
                json: #"{"requests":5000,"window_seconds":1}"#)
            #expect(byCustomer.status == 403)
        }
    }
}

/// Workers over HTTP: claims spend a worker quota of their own; heartbeats, completions and
/// failures with a lease spend nothing, so the request quota never throttles a worker.
@Suite("Rate limiting workers over HTTP")
struct WorkerRateLimitTests {
    @Test(
        "a worker settles more jobs than the request quota allows; its claims stop at the worker quota, its requests are untouched",
        arguments: Engine.available)
    func workersHaveTheirOwnQuota(_ engine: Engine) async throws {
        // Windows of an hour: beside the whole suite these 40 requests have taken over a minute,
        // and the first claims slid out of a minute's window.
        let limits = RateLimiter.Configuration(
            policy: try RateLimitPolicy(requests: 5, windowSeconds: 3600),
            workerPolicy: try RateLimitPolicy(requests: 12, windowSeconds: 3600), storeTimeout: .seconds(30))
        try await withServer(engine, rateLimits: limits) { server in
            for n in 0..<20 {
                _ = try await server.store.enqueue(
                    NewJob(customer: "acme", queue: "mail", type: "t", payloadJSON: "{\"n\":\(n)}"))
            }
            var claims: [ServerHarness.Answer] = []
            var settled: [Int] = []
            for n in 0..<13 {
                let claim = try await server.send(
                    "POST", "/api/workers/claim", key: server.acmeKey,
                    json: #"{"queues":["mail"],"max":1,"wait_seconds":0}"#)
                claims.append(claim)
                guard claim.status == 200, let job = (claim.json["jobs"] as? [[String: Any]])?.first,
                    let id = job["id"] as? String, let token = job["lease_token"] as? String
                else { continue }
                let lease = #"{"lease_token":"\#(token)","lease_seconds":60}"#
                settled.append(
                    try await server.send("POST", "/api/jobs/\(id)/heartbeat", key: server.acmeKey, json: lease).status)
                let outcome = n.isMultiple(of: 2) ? "complete" : "fail"
                let body =
                    n.isMultiple(of: 2)
                    ? #"{"lease_token":"\#(token)"}"# : #"{"lease_token":"\#(token)","error":"boom"}"#
                let answer = try await server.send(
                    "POST", "/api/jobs/\(id)/\(outcome)", key: server.acmeKey, json: body)
                settled.append(answer.status)
                #expect(answer.header("RateLimit") == nil, "a lease's request spends no quota")
            }
            // Twelve claims, each with a heartbeat and an outcome: 36 requests, over seven times the
            // request quota, all answered.
            #expect(claims.prefix(12).allSatisfy { $0.status == 200 }, "\(claims.map(\.status))")
            #expect(settled == Array(repeating: 200, count: 24))
            let refused = try #require(claims.last)
            #expect(refused.status == 429)
            #expect(refused.header("RateLimit-Policy") == #""worker";q=12;w=3600"#)
            #expect((refused.json["detail"] as? String)?.contains("worker quota of 12 claims") == true)
            // The request quota is whole.
            let listing = try await server.send("GET", "/api/queue/acme", key: server.acmeKey)
            #expect(listing.status == 200)
            #expect(RateLimitTests.remaining(listing)?.r == 4)
        }
    }

    @Test(
        "refused lease calls spend the worker quota and, once it is used up, lease calls are 429; honest ones spend nothing",
        arguments: Engine.available)
    func refusedLeaseCalls(_ engine: Engine) async throws {
        let limits = RateLimiter.Configuration(
            workerPolicy: try RateLimitPolicy(requests: 5, windowSeconds: 3600), storeTimeout: .seconds(30))
        try await withServer(engine, rateLimits: limits) { server in
            let job = try await server.store.enqueue(
                NewJob(customer: "acme", queue: "mail", type: "t", payloadJSON: "{}")
            ).job
            let claim = try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"wait_seconds":0}"#)
            let token = try #require((claim.json["jobs"] as? [[String: Any]])?.first?["lease_token"] as? String)
            let honest = #"{"lease_token":"\#(token)","lease_seconds":60}"#
            for _ in 0..<10 {
                let beat = try await server.send(
                    "POST", "/api/jobs/\(job.id)/heartbeat", key: server.acmeKey, json: honest)
                #expect(beat.status == 200 && beat.header("RateLimit") == nil, "an honest heartbeat spends nothing")
            }
            let madeUp = #"{"lease_token":"made-up"}"#
            var left: [Int?] = []
            // A stale token for a real job (409), a job that does not exist (404), a body that is
            // no lease (422): each a refusal.
            let unknown = JobID.generate(at: Date())
            let refusals = [
                ("/api/jobs/\(job.id)/complete", madeUp, 409), ("/api/jobs/\(unknown)/complete", madeUp, 404),
                ("/api/jobs/\(job.id)/complete", madeUp, 409),
                ("/api/jobs/\(job.id)/heartbeat", #"{"lease_token":""}"#, 422),
            ]
            for (path, body, status) in refusals {
                let refused = try await server.send("POST", path, key: server.acmeKey, json: body)
                #expect(refused.status == status, "\(path)")
                left.append(RateLimitTests.remaining(refused)?.r)
            }
            #expect(left == [3, 2, 1, 0], "the claim spent one; each refusal one more")
            let last = try await server.send(
                "POST", "/api/jobs/\(job.id)/complete", key: server.acmeKey, json: madeUp)
            #expect(last.status == 409, "the refusal that finds the quota used up is answered as it was")
            let blocked = try await server.send(
                "POST", "/api/jobs/\(job.id)/heartbeat", key: server.acmeKey, json: honest)
            #expect(blocked.status == 429 && blocked.header("Retry-After") != nil)
            #expect(blocked.contentType == "application/problem+json")
            // Another customer's workers are untouched.
            let globex = try await server.send(
                "POST", "/api/workers/claim", key: server.globexKey, json: #"{"queues":["mail"],"wait_seconds":0}"#)
            #expect(globex.status == 200)
        }
    }
}
