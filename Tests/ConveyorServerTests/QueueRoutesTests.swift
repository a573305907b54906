import ConveyorCore
import Foundation
import Testing

@Suite("HTTP API: enqueue, read, list, cancel")
struct QueueRoutesTests {
    static let email = #"{"queue":"mail","type":"email.send","payload":{"to":"ada@example.com"}}"#

    @Test(
        "an enqueue answers 201 with the committed job and its Location; the job reads back and lists",
        arguments: Engine.available)
    func enqueueAndRead(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let created = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: Self.email)
            #expect(created.status == 201)
            #expect(created.contentType == "application/json")
            let id = try #require(created.json["id"] as? String)
            #expect(created.header("Location") == "/api/jobs/\(id)")
            #expect(created.json["state"] as? String == "available")
            #expect(created.json["customer"] as? String == "acme")
            #expect((created.json["payload"] as? [String: Any])?["to"] as? String == "ada@example.com")
            #expect(created.json["lease_token"] == nil, "a lease token is only ever given to the claiming worker")
            for field in ["attempt", "max_attempts", "run_at", "errors", "queue", "type"] {
                #expect(created.json[field] != nil, "\(field)")
            }
            // Committed: the store has it, before any other request.
            let jobID = try #require(JobID(id))
            let stored = try #require(try await server.store.job(id: jobID))
            #expect(stored.queue == "mail")

            let read = try await server.send("GET", "/api/jobs/\(id)", key: server.acmeKey)
            #expect(read.status == 200)
            #expect(read.json["id"] as? String == id)

            let listed = try await server.send("GET", "/api/queue/acme?state=available&queue=mail", key: server.acmeKey)
            #expect(listed.status == 200)
            let jobs = try #require(listed.json["jobs"] as? [[String: Any]])
            #expect(jobs.map { $0["id"] as? String } == [id])
            #expect(((listed.json["counts"] as? [String: Any])?["mail"] as? [String: Int])?["available"] == 1)
            let none = try await server.send("GET", "/api/queue/acme?state=running", key: server.acmeKey)
            #expect((none.json["jobs"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(
        "delay, priority and attempts are taken from the body; run_at with delay_seconds is refused",
        arguments: Engine.available)
    func options(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let later = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey,
                json: #"{"queue":"mail","type":"t","payload":null,"delay_seconds":60,"priority":3,"max_attempts":2}"#)
            #expect(later.status == 201)
            #expect(later.json["state"] as? String == "scheduled")
            #expect(later.json["priority"] as? Int == 3)
            #expect(later.json["max_attempts"] as? Int == 2)
            let both = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey,
                json: #"{"queue":"mail","type":"t","payload":1,"delay_seconds":1,"run_at":"2030-01-01T00:00:00Z"}"#)
            #expect(both.status == 422)
            #expect(both.json["field"] as? String == "run_at")
            #expect(try await server.store.counts(customer: "acme").reduce(0) { $0 + $1.total } == 1)
        }
    }

    @Test("a cancel moves the job to cancelled; a second cancel is a conflict", arguments: Engine.available)
    func cancel(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let created = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: Self.email)
            let id = try #require(created.json["id"] as? String)
            let cancelled = try await server.send("POST", "/api/jobs/\(id)/cancel", key: server.acmeKey)
            #expect(cancelled.status == 200)
            #expect(cancelled.json["state"] as? String == "cancelled")
            let again = try await server.send("POST", "/api/jobs/\(id)/cancel", key: server.acmeKey)
            #expect(again.status == 409)
            #expect(again.contentType == "application/problem+json")
        }
    }

    @Test(
        "the same Idempotency-Key and body answer the original job; another body under it is refused",
        arguments: Engine.available)
    func idempotency(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let headers = ["Idempotency-Key": #""order-42""#]
            let first = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey, json: Self.email, headers: headers)
            #expect(first.status == 201)
            let again = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey, json: Self.email, headers: headers)
            #expect(again.status == 200)
            #expect(again.header("Idempotent-Replayed") == "true")
            #expect(again.json["id"] as? String == first.json["id"] as? String)
            let spelledOtherwise = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey,
                json: #"{ "payload": {"to": "ada@example.com"}, "type": "email.send", "queue": "mail" }"#,
                headers: headers)
            #expect(spelledOtherwise.status == 200, "the same request, its JSON spelled differently")
            let other = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey,
                json: #"{"queue":"billing","type":"email.send","payload":{"to":"bob@example.com"}}"#, headers: headers)
            #expect(other.status == 422)
            #expect(other.json["field"] as? String == "Idempotency-Key")
            let theirs = try await server.send(
                "POST", "/api/queue/globex", key: server.globexKey, json: Self.email, headers: headers)
            #expect(theirs.status == 201, "keys are per customer")
            let bad = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey, json: Self.email,
                headers: ["Idempotency-Key": String(repeating: "k", count: 300)])
            #expect(bad.status == 422)
            #expect(bad.json["field"] as? String == "Idempotency-Key")
            #expect(try await server.store.counts(customer: "acme").reduce(0) { $0 + $1.total } == 1)
        }
    }

    @Test("a listing pages with a cursor, with no gaps or repeats", arguments: Engine.available)
    func pagination(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let batch = BatchAndDeadLetterTests.batch(7)
            let created = try await server.send("POST", "/api/queue/acme/batch", key: server.acmeKey, json: batch)
            let ids = Set((created.json["jobs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
            #expect(ids.count == 7)
            var seen: [String] = []
            var path = "/api/queue/acme?limit=3"
            for _ in 0..<5 {
                let page = try await server.send("GET", path, key: server.acmeKey)
                #expect(page.status == 200)
                seen += (page.json["jobs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                guard let cursor = page.json["next_cursor"] as? String else { break }
                path = "/api/queue/acme?limit=3&cursor=\(cursor)"
            }
            #expect(seen.count == 7)
            #expect(Set(seen) == ids)
            #expect(seen == seen.sorted(by: >), "newest first")
        }
    }
}
