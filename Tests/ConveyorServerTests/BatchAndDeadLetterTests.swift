import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

@Suite("HTTP API: batches and the dead-letter queue")
struct BatchAndDeadLetterTests {
    static func batch(_ count: Int, badAt: Int? = nil) -> String {
        let jobs = (0..<count).map { index in
            index == badAt
                ? #"{"queue":"Bad Queue","type":"t","payload":1}"#
                : #"{"queue":"mail","type":"email.send","payload":{"n":\#(index)}}"#
        }
        return #"{"jobs":[\#(jobs.joined(separator: ","))]}"#
    }

    @Test("a batch is enqueued whole, or not at all with the bad job named", arguments: Engine.available)
    func batches(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let created = try await server.send(
                "POST", "/api/queue/acme/batch", key: server.acmeKey, json: Self.batch(3))
            #expect(created.status == 201)
            #expect((created.json["jobs"] as? [[String: Any]])?.count == 3)
            #expect(try await server.store.counts(customer: "acme").reduce(0) { $0 + $1.total } == 3)
            for (body, field) in [
                (Self.batch(5, badAt: 2), "jobs[2].queue"), (Self.batch(1001), "jobs"), (#"{"jobs":[]}"#, "jobs"),
                (#"{"jobs":{}}"#, "jobs"),
            ] {
                let refused = try await server.send("POST", "/api/queue/acme/batch", key: server.acmeKey, json: body)
                #expect(refused.status == 422, "\(field)")
                #expect(refused.json["field"] as? String == field)
            }
            #expect(try await server.store.counts(customer: "acme").reduce(0) { $0 + $1.total } == 3, "nothing more")
        }
    }

    @Test(
        "dead jobs are listed, replayed by id or filter, and deleted, each customer its own",
        arguments: Engine.available)
    func deadLetters(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            func dead(_ key: String, _ customer: String) async throws -> String {
                _ = try await WorkerRoutesTests.enqueue(server, key: key, customer: customer)
                let claimed = try await server.send(
                    "POST", "/api/workers/claim", key: key, json: #"{"queues":["mail"]}"#)
                let job = try #require((claimed.json["jobs"] as? [[String: Any]])?.first)
                let id = try #require(job["id"] as? String)
                let token = try #require(job["lease_token"] as? String)
                let failed = try await server.send(
                    "POST", "/api/jobs/\(id)/fail", key: key,
                    json: #"{"lease_token":"\#(token)","error":"bad address","retryable":false}"#)
                #expect(failed.json["state"] as? String == "dead")
                return id
            }
            let first = try await dead(server.acmeKey, "acme")
            let second = try await dead(server.acmeKey, "acme")
            let theirs = try await dead(server.globexKey, "globex")

            let listed = try await server.send("GET", "/api/dlq", key: server.acmeKey)
            #expect(
                Set((listed.json["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []) == [
                    first, second,
                ])
            #expect(try await server.send("GET", "/api/dlq?customer=globex", key: server.acmeKey).status == 404)
            let all = try await server.send("GET", "/api/dlq", key: server.adminKey)
            #expect((all.json["jobs"] as? [Any])?.count == 3)

            #expect(
                try await server.send("POST", "/api/dlq/replay", key: server.acmeKey, json: #"{"ids":["\#(theirs)"]}"#)
                    .status == 404)
            let replayed = try await server.send(
                "POST", "/api/dlq/replay", key: server.acmeKey, json: #"{"ids":["\#(first)"]}"#)
            #expect(replayed.status == 200)
            #expect(replayed.json["replayed"] as? Int == 1 && replayed.json["ids"] as? [String] == [first])
            #expect(replayed.json["next_cursor"] is NSNull)
            #expect(replayed.json["jobs"] == nil, "counts and ids, never payloads")
            #expect(try await server.store.job(id: try #require(JobID(first)))?.state == .available)

            #expect(try await server.send("DELETE", "/api/dlq/\(theirs)", key: server.acmeKey).status == 404)
            #expect(try await server.send("DELETE", "/api/dlq/\(second)", key: server.acmeKey).status == 204)
            #expect(try await server.store.job(id: try #require(JobID(second))) == nil)

            let byFilter = try await server.send(
                "POST", "/api/dlq/replay", key: server.adminKey, json: #"{"filter":{"customer":"globex"}}"#)
            #expect(byFilter.json["ids"] as? [String] == [theirs])
            let neither = try await server.send("POST", "/api/dlq/replay", key: server.adminKey, json: "{}")
            #expect(neither.status == 422)
        }
    }

    @Test(
        "dead jobs are replayed by error text and paced, purged by filter, and pruned by an admin",
        arguments: Engine.available)
    func deadLetterTools(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            func dead(_ error: String) async throws -> String {
                _ = try await WorkerRoutesTests.enqueue(server, key: server.acmeKey, customer: "acme")
                let claimed = try await server.send(
                    "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"]}"#)
                let job = try #require((claimed.json["jobs"] as? [[String: Any]])?.first)
                let id = try #require(job["id"] as? String)
                let token = try #require(job["lease_token"] as? String)
                _ = try await server.send(
                    "POST", "/api/jobs/\(id)/fail", key: server.acmeKey,
                    json: #"{"lease_token":"\#(token)","error":"\#(error)","retryable":false}"#)
                return id
            }
            let timeouts = [
                try await dead("SMTP timeout"), try await dead("smtp timeout"), try await dead("smtp timeout"),
            ]
            let bounced = try await dead("mailbox full")
            let paced = try await server.send(
                "POST", "/api/dlq/replay", key: server.acmeKey,
                json: #"{"filter":{"error":"timeout","died_after":"2000-01-01T00:00:00Z"},"per_second":1}"#)
            #expect(paced.status == 200)
            let ids = try #require(paced.json["ids"] as? [String])
            #expect(Set(ids) == Set(timeouts) && paced.json["replayed"] as? Int == 3)
            var states: [JobState] = []
            for id in ids {
                let job = try await server.store.job(id: try #require(JobID(id)))
                states.append(try #require(job).state)
            }
            #expect(states == [.available, .scheduled, .scheduled])
            let bad = try await server.send(
                "POST", "/api/dlq/replay", key: server.acmeKey, json: #"{"filter":{},"per_second":0}"#)
            #expect(bad.status == 422 && bad.json["field"] as? String == "per_second")
            let empty = try await server.send(
                "POST", "/api/dlq/purge", key: server.acmeKey, json: #"{"filter":{"error":"no such error"}}"#)
            #expect(empty.json["purged"] as? Int == 0)
            let purged = try await server.send(
                "POST", "/api/dlq/purge", key: server.acmeKey, json: #"{"filter":{"error":"MAILBOX"}}"#)
            #expect(purged.status == 200 && purged.json["purged"] as? Int == 1)
            #expect(try await server.store.job(id: try #require(JobID(bounced))) == nil)

            _ = try await dead("old news")
            #expect(try await server.send("POST", "/api/dlq/prune", key: server.acmeKey, json: "{}").status == 403)
            let pruned = try await server.send(
                "POST", "/api/dlq/prune", key: server.adminKey, json: #"{"dead_max_count":0}"#)
            #expect(pruned.status == 200 && pruned.json["dead"] as? Int == 1, "\(pruned.json)")
        }
    }

    /// `count` dead jobs of `customer` on `queue` (at most 2,000), made through the store in a few
    /// statements: claimed, their leases left to run out on `clock`, rescued with no attempt left.
    static func deadJobs(
        _ count: Int, of customer: String, queue: String, in server: ServerHarness, clock: TestClock
    ) async throws {
        let jobs = try (0..<count).map { n in
            try NewJob(customer: customer, queue: queue, type: "t", payloadJSON: #"{"n":\#(n)}"#, maxAttempts: 1)
        }
        _ = try await server.store.enqueue(batch: jobs)
        for limit in [min(count, 1000), count - min(count, 1000)] where limit > 0 {
            _ = try await server.store.claim(ClaimRequest(queues: [queue], limit: limit, lease: .seconds(1)))
        }
        clock.advance(by: .seconds(60))
        #expect(try await server.store.rescueStaleJobs(grace: .zero).count == count)
    }

    @Test(
        "a replay or purge by filter takes at most 1,000 dead jobs a call and gives a cursor to go on",
        arguments: Engine.available)
    func deadLetterCursor(_ engine: Engine) async throws {
        let clock = TestClock()
        let server = try await ServerHarness.start(engine, clock: clock)
        do {
            try await Self.deadJobs(1001, of: "acme", queue: "bulk", in: server, clock: clock)
            #expect(try await server.store.deadLetterCount() == 1001)
            let first = try await server.send(
                "POST", "/api/dlq/purge", key: server.acmeKey, json: #"{"filter":{"queue":"bulk"}}"#)
            #expect(first.status == 200 && first.json["purged"] as? Int == 1000)
            #expect((first.json["ids"] as? [String])?.count == 1000)
            let cursor = try #require(first.json["next_cursor"] as? String)
            let rest = try await server.send(
                "POST", "/api/dlq/purge", key: server.acmeKey,
                json: #"{"filter":{"queue":"bulk"},"cursor":"\#(cursor)"}"#)
            #expect(rest.json["purged"] as? Int == 1 && rest.json["next_cursor"] is NSNull)
            #expect(try await server.store.deadLetterCount() == 0)
            for (body, field) in [
                (#"{"filter":{},"cursor":"not-a-cursor"}"#, "cursor"),
                (#"{"ids":["\#(cursor)"],"cursor":"\#(cursor)"}"#, "cursor"),
            ] {
                let bad = try await server.send("POST", "/api/dlq/replay", key: server.acmeKey, json: body)
                #expect(bad.status == 422 && bad.json["field"] as? String == field, "\(body)")
            }
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }
}
