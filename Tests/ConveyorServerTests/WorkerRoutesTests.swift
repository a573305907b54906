import ConveyorCore
import ConveyorServer
import ConveyorTestSupport
import Foundation
import Testing

@Suite("HTTP API: the worker lease protocol")
struct WorkerRoutesTests {
    static func enqueue(_ server: ServerHarness, key: String? = nil, customer: String = "acme") async throws -> String {
        let answer = try await server.send(
            "POST", "/api/queue/\(customer)", key: key ?? server.acmeKey, json: QueueRoutesTests.email)
        return try #require(answer.json["id"] as? String)
    }

    /// Claims one of acme's mail jobs: its id, lease token and the claim's JSON of it.
    static func claimOne(_ server: ServerHarness) async throws -> (id: String, token: String, job: [String: Any]) {
        let answer = try await server.send(
            "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"]}"#)
        let job = try #require((answer.json["jobs"] as? [[String: Any]])?.first)
        return (try #require(job["id"] as? String), try #require(job["lease_token"] as? String), job)
    }

    @Test(
        "a waiting claim returns as soon as a job is enqueued, long before its wait is over",
        arguments: Engine.available)
    func longPoll(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let started = ContinuousClock.now
            async let claimed = server.send(
                "POST", "/api/workers/claim", key: server.acmeKey,
                json: #"{"worker_id":"w1","queues":["mail"],"max":5,"wait_seconds":20}"#)
            let id = try await Self.enqueue(server)
            let answer = try await claimed
            #expect(answer.status == 200)
            let jobs = try #require(answer.json["jobs"] as? [[String: Any]])
            #expect(jobs.map { $0["id"] as? String } == [id])
            #expect(jobs.first?["lease_token"] is String)
            #expect(jobs.first?["lease_expires_at"] is String)
            #expect(
                ContinuousClock.now - started < .seconds(20), "answered when the job came, not at the end of the wait")

            let empty = try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"wait_seconds":0}"#)
            #expect((empty.json["jobs"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("heartbeat, complete and fail take the lease token; a stale token is 409", arguments: Engine.available)
    func lease(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            func claim() async throws -> (id: String, token: String) {
                let answer = try await server.send(
                    "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"lease_seconds":30}"#)
                let job = try #require((answer.json["jobs"] as? [[String: Any]])?.first)
                return (try #require(job["id"] as? String), try #require(job["lease_token"] as? String))
            }
            _ = try await Self.enqueue(server)
            let (id, token) = try await claim()
            let beat = try await server.send(
                "POST", "/api/jobs/\(id)/heartbeat", key: server.acmeKey,
                json: #"{"lease_token":"\#(token)","lease_seconds":120}"#)
            #expect(beat.status == 200)
            #expect(beat.json["state"] as? String == "running")
            let wrong = try await server.send(
                "POST", "/api/jobs/\(id)/complete", key: server.acmeKey, json: #"{"lease_token":"not-the-token"}"#)
            #expect(wrong.status == 409)
            #expect(wrong.contentType == "application/problem+json")
            let foreign = try await server.send(
                "POST", "/api/jobs/\(id)/complete", key: server.globexKey, json: #"{"lease_token":"\#(token)"}"#)
            #expect(foreign.status == 404, "another customer's lease is not even there")
            let done = try await server.send(
                "POST", "/api/jobs/\(id)/complete", key: server.acmeKey, json: #"{"lease_token":"\#(token)"}"#)
            #expect(done.status == 200)
            #expect(done.json["state"] as? String == "completed")
            let twice = try await server.send(
                "POST", "/api/jobs/\(id)/complete", key: server.acmeKey, json: #"{"lease_token":"\#(token)"}"#)
            #expect(twice.status == 409)

            _ = try await Self.enqueue(server)
            let (retried, retryToken) = try await claim()
            let failed = try await server.send(
                "POST", "/api/jobs/\(retried)/fail", key: server.acmeKey,
                json: #"{"lease_token":"\#(retryToken)","error":"smtp timeout","retryable":true}"#)
            #expect(failed.status == 200)
            #expect(failed.json["state"] as? String == "retryable")
            #expect(((failed.json["errors"] as? [[String: Any]])?.last?["message"] as? String) == "smtp timeout")

            _ = try await Self.enqueue(server)
            let (doomed, doomedToken) = try await claim()
            let dead = try await server.send(
                "POST", "/api/jobs/\(doomed)/fail", key: server.acmeKey,
                json: #"{"lease_token":"\#(doomedToken)","error":"bad address","retryable":false}"#)
            #expect(dead.json["state"] as? String == "dead")
        }
    }

    @Test(
        "completions sent at once are written together, each lease judged on its own: a stale one is its own 409",
        arguments: Engine.available)
    func concurrentCompletions(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            for _ in 0..<12 { _ = try await Self.enqueue(server) }
            let claimed = try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"max":12}"#)
            let leases = try #require(claimed.json["jobs"] as? [[String: Any]]).map {
                ($0["id"] as? String ?? "", $0["lease_token"] as? String ?? "")
            }
            #expect(leases.count == 12)
            let stale = leases[5].0
            let answers = try await withThrowingTaskGroup(of: (String, Int, String?).self) { group in
                for (id, token) in leases {
                    group.addTask {
                        let answer = try await server.send(
                            "POST", "/api/jobs/\(id)/complete", key: server.acmeKey,
                            json: #"{"lease_token":"\#(id == stale ? "not-the-token" : token)"}"#, apart: true)
                        return (id, answer.status, answer.json["state"] as? String)
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = ($1.1, $1.2) }
            }
            for (id, _) in leases {
                let (status, state) = try #require(answers[id])
                if id == stale {
                    #expect(status == 409)
                    #expect(try await server.store.job(id: try #require(JobID(id)))?.state == .running)
                } else {
                    #expect(status == 200 && state == "completed")
                    #expect(try await server.store.job(id: try #require(JobID(id)))?.state == .completed)
                }
            }
        }
    }

    @Test(
        "a completion carries the job's result, returned byte for byte; one over the limit is 413 and the job runs on",
        arguments: Engine.available)
    func result(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            _ = try await Self.enqueue(server)
            let (id, token, job) = try await Self.claimOne(server)
            #expect(job["result"] is NSNull && job["progress"] is NSNull)
            let result = #"{"url": "/r/1", "total": 12345678901234567890.50, "x": 1, "x": 2}"#

            let tooLarge = try await server.send(
                "POST", "/api/jobs/\(id)/complete", key: server.acmeKey,
                json: #"{"lease_token":"\#(token)","result":""# + String(repeating: "x", count: 256 * 1024) + #""}"#)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.json["field"] as? String == "result")
            #expect(try await server.store.job(id: try #require(JobID(id)))?.state == .running)

            let done = try await server.send(
                "POST", "/api/jobs/\(id)/complete", key: server.acmeKey,
                json: #"{"lease_token":"\#(token)","result":\#(result)}"#)
            #expect(done.status == 200)
            #expect(String(decoding: done.body, as: UTF8.self).contains(#""result":\#(result)"#))
            let shown = try await server.send("GET", "/api/jobs/\(id)", key: server.acmeKey)
            #expect(String(decoding: shown.body, as: UTF8.self).contains(#""result":\#(result)"#))
            #expect(try await server.store.job(id: try #require(JobID(id)))?.result?.text == result)
        }
    }

    @Test(
        "a heartbeat carries progress, kept byte for byte and shown with the job; one over 4 KiB is 413",
        arguments: Engine.available)
    func progress(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            _ = try await Self.enqueue(server)
            let (id, token, _) = try await Self.claimOne(server)
            let report = #"{"percent": 40.0, "step": "render"}"#
            let beat = try await server.send(
                "POST", "/api/jobs/\(id)/heartbeat", key: server.acmeKey,
                json: #"{"lease_token":"\#(token)","progress":\#(report)}"#)
            #expect(beat.status == 200)
            try await poll("the report to be written") {
                let shown = try await server.send("GET", "/api/jobs/\(id)", key: server.acmeKey)
                return String(decoding: shown.body, as: UTF8.self).contains(#""progress":\#(report)"#)
            }
            let tooLarge = try await server.send(
                "POST", "/api/jobs/\(id)/heartbeat", key: server.acmeKey,
                json: #"{"lease_token":"\#(token)","progress":""# + String(repeating: "x", count: 4096) + #""}"#)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.json["field"] as? String == "progress")
            let done = try await server.send(
                "POST", "/api/jobs/\(id)/complete", key: server.acmeKey, json: #"{"lease_token":"\#(token)"}"#)
            #expect(done.status == 200)
            #expect(String(decoding: done.body, as: UTF8.self).contains(#""progress":\#(report)"#))
        }
    }

    @Test(
        "a worker learns of its job's cancel from the next heartbeat: 409 whose reason is cancelled, apart from a lost lease",
        arguments: Engine.available)
    func cancelled(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            _ = try await Self.enqueue(server)
            _ = try await Self.enqueue(server)
            let claimed = try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"max":2}"#)
            let jobs = try #require(claimed.json["jobs"] as? [[String: Any]])
            let ids = try jobs.map { try #require($0["id"] as? String) }
            let tokens = try jobs.map { try #require($0["lease_token"] as? String) }
            let cancel = try await server.send("POST", "/api/jobs/\(ids[0])/cancel", key: server.acmeKey)
            #expect(cancel.status == 200)
            let bodies = [
                "heartbeat": #"{"lease_token":"\#(tokens[0])","progress":{"percent":50}}"#,
                "complete": #"{"lease_token":"\#(tokens[0])","result":1}"#,
                "fail": #"{"lease_token":"\#(tokens[0])","error":"x"}"#,
            ]
            for (call, body) in bodies {
                let refused = try await server.send(
                    "POST", "/api/jobs/\(ids[0])/\(call)", key: server.acmeKey, json: body)
                #expect(refused.status == 409, "\(call)")
                #expect(refused.contentType == "application/problem+json")
                #expect(refused.json["reason"] as? String == "cancelled", "\(call)")
            }
            let stale = try await server.send(
                "POST", "/api/jobs/\(ids[1])/heartbeat", key: server.acmeKey, json: #"{"lease_token":"forged"}"#)
            #expect(stale.status == 409)
            #expect(stale.json["reason"] as? String == "lease_lost")
            let cancelledID = try #require(JobID(ids[0]))
            let stored = try #require(try await server.store.job(id: cancelledID))
            #expect(stored.state == .cancelled && stored.result == nil && stored.errors.isEmpty)
        }
    }

    @Test("a customer key claims only its own customer's jobs", arguments: Engine.available)
    func isolation(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let globexJob = try await Self.enqueue(server, key: server.globexKey, customer: "globex")
            let acme = try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"max":10}"#)
            #expect((acme.json["jobs"] as? [Any])?.isEmpty == true)
            let admin = try await server.send(
                "POST", "/api/workers/claim", key: server.adminKey, json: #"{"queues":["mail"],"max":10}"#)
            #expect((admin.json["jobs"] as? [[String: Any]])?.map { $0["id"] as? String } == [globexJob])
            #expect(
                try await server.send("POST", "/api/workers/claim", key: nil, json: #"{"queues":["mail"]}"#).status
                    == 401)
        }
    }

    @Test("claim input is checked", arguments: Engine.available)
    func badInput(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let cases: [(String, String)] = [
                (#"{"queues":[]}"#, "queues"),
                (#"{"queues":["Bad Queue"]}"#, "queues"),
                (#"{"queues":["mail"],"max":0}"#, "max"),
                (#"{"queues":["mail"],"max":1001}"#, "max"),
                (#"{"queues":["mail"],"wait_seconds":61}"#, "wait_seconds"),
                (#"{"queues":["mail"],"lease_seconds":0}"#, "lease_seconds"),
                (#"{"queues":"mail"}"#, "queues"),
                (#"{"max":1}"#, "queues"),
                (#"{"queues":[\#((0...100).map { "\"q\($0)\"" }.joined(separator: ","))]}"#, "queues"),
            ]
            for (body, field) in cases {
                let answer = try await server.send("POST", "/api/workers/claim", key: server.acmeKey, json: body)
                #expect(answer.status == 422, "\(body)")
                #expect(answer.json["field"] as? String == field, "\(body)")
            }
        }
    }

    @Test("a claim may name 100 distinct queues, a name given twice counted once", arguments: Engine.available)
    func hundredQueues(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let names = (0..<100).map { "\"q\($0)\"" } + ["\"q0\""]
            let answer = try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey,
                json: #"{"queues":[\#(names.joined(separator: ","))],"wait_seconds":0}"#)
            #expect(answer.status == 200)
        }
    }

    @Test(
        "a customer holds at most CLAIM_WAITERS_PER_CUSTOMER waiting claims (429 past it); others are untouched",
        arguments: Engine.available)
    func waitingClaims(_ engine: Engine) async throws {
        let server = try await ServerHarness.start(engine, listener: ListenerConfiguration(claimWaitersPerCustomer: 2))
        do {
            // Three claims that would wait 30 s: two wait, the third is refused at once.
            let waiting = #"{"queues":["mail"],"wait_seconds":30}"#
            let (answers, answered) = AsyncStream.makeStream(of: ServerHarness.Answer.self)
            let held = (0..<3).map { _ in
                Task {
                    let answer = try await server.send(
                        "POST", "/api/workers/claim", key: server.acmeKey, json: waiting, apart: true)
                    answered.yield(answer)
                }
            }
            var iterator = answers.makeAsyncIterator()
            let refused = try #require(await iterator.next())
            #expect(refused.status == 429)
            #expect(refused.json["field"] as? String == "wait_seconds")
            #expect(refused.header("Retry-After") == "1")
            let now = try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"wait_seconds":0}"#)
            #expect(now.status == 200, "a claim that does not wait is never refused for it")
            let globex = try await server.send(
                "POST", "/api/workers/claim", key: server.globexKey, json: #"{"queues":["mail"],"wait_seconds":0.2}"#)
            #expect(globex.status == 200, "another customer's claims wait as before")
            // Two jobs answer the two waiting claims; their places are free again.
            for _ in 0..<2 { _ = try await Self.enqueue(server) }
            for _ in 0..<2 { #expect(await iterator.next()?.status == 200) }
            for claim in held { try await claim.value }
            let again = try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"wait_seconds":0.2}"#)
            #expect(again.status == 200)
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test("a graceful shutdown answers a waiting claim at once instead of after its wait", arguments: Engine.available)
    func shutdownDuringLongPoll(_ engine: Engine) async throws {
        let server = try await ServerHarness.start(engine)
        let claim = Task {
            try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"wait_seconds":60}"#)
        }
        // However long the request takes to start waiting (under the whole suite's load, on
        // PostgreSQL, over 45 s), it then waits its own 60 s: the bound below is counted from the
        // stop, which comes only once it waits.
        let deadline = ContinuousClock.now + .seconds(180)
        while server.store.wakeups.waiting == 0 {
            try #require(ContinuousClock.now < deadline, "the claim never started waiting")
            try await Task.sleep(for: .milliseconds(5))
        }
        let stopping = ContinuousClock.now
        await server.stop()
        let answer = try await claim.value
        #expect(answer.status == 200)
        #expect((answer.json["jobs"] as? [Any])?.isEmpty == true)
        // Left alone it would wait 60 s from when it began waiting, before `stopping`.
        #expect(ContinuousClock.now - stopping < .seconds(30), "answered at shutdown, not at the end of its 60 s wait")
    }
}

/// Pausing over HTTP: a customer key pauses its own queue, an admin every customer's.
@Suite("HTTP API: pause and resume")
struct PauseRoutesTests {
    @Test(
        "a paused queue takes enqueues but hands out nothing; once resumed a waiting claim gets the job",
        arguments: Engine.available)
    func pauseAndResume(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let paused = try await server.send("PUT", "/api/queue/acme/mail/pause", key: server.acmeKey)
            #expect(paused.status == 200)
            #expect(paused.json["queue"] as? String == "mail" && paused.json["customer"] as? String == "acme")
            let id = try await WorkerRoutesTests.enqueue(server)
            let nothing = try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"wait_seconds":0}"#)
            #expect((nothing.json["jobs"] as? [Any])?.isEmpty == true)
            // Another customer cannot lift it (its existence does not leak either).
            #expect(try await server.send("DELETE", "/api/queue/acme/mail/pause", key: server.globexKey).status == 404)
            let listing = try await server.send("GET", "/api/queue/acme", key: server.acmeKey)
            #expect(listing.json["paused"] as? [String] == ["mail"], "the customer sees its paused queue")
            let listed = try await server.send("GET", "/api/admin/pauses", key: server.adminKey)
            #expect((listed.json["pauses"] as? [[String: Any]])?.count == 1)

            let started = ContinuousClock.now
            async let waiting = server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"wait_seconds":20}"#)
            // Resuming rings the queue: a claim waiting on it looks at once (it would otherwise look
            // again within its poll interval, never wait out its 20 s).
            #expect(try await server.send("DELETE", "/api/queue/acme/mail/pause", key: server.acmeKey).status == 204)
            let claimed = try await waiting
            #expect((claimed.json["jobs"] as? [[String: Any]])?.first?["id"] as? String == id)
            #expect(ContinuousClock.now - started < .seconds(20), "answered once resumed, not at the end of the wait")

            // An admin pauses the queue for every customer.
            #expect(try await server.send("PUT", "/api/admin/queues/mail/pause", key: server.adminKey).status == 200)
            _ = try await WorkerRoutesTests.enqueue(server, key: server.globexKey, customer: "globex")
            let none = try await server.send(
                "POST", "/api/workers/claim", key: server.globexKey, json: #"{"queues":["mail"],"wait_seconds":0}"#)
            #expect((none.json["jobs"] as? [Any])?.isEmpty == true)
            #expect(try await server.send("PUT", "/api/admin/queues/mail/pause", key: server.acmeKey).status == 403)
        }
    }
}

@Suite("Pauses in health and metrics")
struct PauseVisibilityTests {
    @Test(
        "/api/health lists what is paused, passing; /metrics has a conveyor_paused gauge, 0 once lifted, and the jobs running per queue"
    )
    func visible() async throws {
        let server = try await ServerHarness.start(
            .sqlite,
            health: HealthConfiguration(
                version: "t", leaderRole: "maintenance", drainDelay: .zero, reuseFor: .zero, keyLookup: .seconds(30)))
        do {
            #expect(try await server.send("PUT", "/api/queue/acme/mail/pause", key: server.acmeKey).status == 200)
            #expect(
                try await server.send("PUT", "/api/admin/customers/globex/pause", key: server.adminKey).status == 200)
            let health = try await server.send("GET", "/api/health", key: server.adminKey)
            let paused = try #require((health.json["checks"] as? [String: Any])?["queue:paused"] as? [[String: Any]])
            #expect(Set(paused.compactMap { $0["componentId"] as? String }) == ["acme/mail", "globex/*"])
            #expect(paused.allSatisfy { $0["status"] as? String == "pass" })
            let scraped = String(
                decoding: try await server.send("GET", "/metrics", key: server.adminKey).body, as: UTF8.self)
            #expect(scraped.contains(#"conveyor_paused{customer="acme",queue="mail"} 1"#), "\(scraped)")
            #expect(scraped.contains(#"conveyor_paused{customer="globex",queue="*"} 1"#))
            #expect(try await server.send("DELETE", "/api/queue/acme/mail/pause", key: server.acmeKey).status == 204)
            _ = try await WorkerRoutesTests.enqueue(server)
            let claimed = try await server.send(
                "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"],"wait_seconds":0}"#)
            #expect((claimed.json["jobs"] as? [Any])?.count == 1)
            _ = try await server.send("GET", "/api/health", key: server.adminKey)
            let after = String(
                decoding: try await server.send("GET", "/metrics", key: server.adminKey).body, as: UTF8.self)
            #expect(after.contains(#"conveyor_paused{customer="acme",queue="mail"} 0"#), "\(after)")
            #expect(after.contains(#"conveyor_jobs_running{customer="acme",queue="mail"} 1"#), "\(after)")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
