import ConveyorCore
import ConveyorServer
import ConveyorTestSupport
import Foundation
import Testing

/// The customer's event stream (SSE) and waiting for a job, over real HTTP.
@Suite("HTTP API: job events and waiting for a job")
struct EventRoutesTests {
    /// Claims one of acme's mail jobs over HTTP: its id and lease token.
    static func claim(_ server: ServerHarness) async throws -> (id: String, token: String) {
        let (id, token, _) = try await WorkerRoutesTests.claimOne(server)
        return (id, token)
    }

    @Test(
        "a customer's stream carries its jobs' events as they happen, the result byte for byte, and nothing of another customer's",
        arguments: Engine.available)
    func stream(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let acme = try await EventStreamClient.open(server, "/api/queue/acme/events", key: server.acmeKey)
            let globex = try await EventStreamClient.open(server, "/api/queue/globex/events", key: server.globexKey)
            defer {
                acme.close()
                globex.close()
            }
            #expect(acme.status == 200 && acme.contentType == "text/event-stream")
            let id = try await WorkerRoutesTests.enqueue(server)
            let (claimed, token) = try await Self.claim(server)
            #expect(claimed == id)
            let result = #"{"url": "/r/1", "total": 12345678901234567890.50}"#
            _ = try await server.send(
                "POST", "/api/jobs/\(id)/heartbeat", key: server.acmeKey,
                json: #"{"lease_token":"\#(token)","progress":{"percent":40}}"#)
            _ = try await server.send(
                "POST", "/api/jobs/\(id)/complete", key: server.acmeKey,
                json: #"{"lease_token":"\#(token)","result":\#(result)}"#)
            let events = try await acme.next(4)
            #expect(events.map(\.event) == ["job.enqueued", "job.started", "job.progress", "job.completed"])
            #expect(
                events.allSatisfy { $0.json["job_id"] as? String == id && $0.json["customer"] as? String == "acme" })
            #expect(events.allSatisfy { $0.id != nil && $0.json["id"] as? String == $0.id })
            #expect(events[3].data?.contains(#""result":\#(result)"#) == true, "\(events[3].data ?? "")")
            #expect(events[2].data?.contains(#""progress":{"percent":40}"#) == true)
            // Globex's stream got nothing of acme's: its first event is its own job's.
            let own = try await WorkerRoutesTests.enqueue(server, key: server.globexKey, customer: "globex")
            let first = try #require(try await globex.next().first)
            #expect(first.event == "job.enqueued" && first.json["job_id"] as? String == own)
        }
    }

    @Test("filters: queue, type and job, each repeatable; a bad one is 422 naming it", arguments: Engine.available)
    func filters(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let done = try await EventStreamClient.open(
                server, "/api/queue/acme/events?type=job.completed&type=job.cancelled&queue=mail", key: server.acmeKey)
            defer { done.close() }
            let id = try await WorkerRoutesTests.enqueue(server)
            _ = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey, json: #"{"queue":"other","type":"t","payload":{}}"#)
            let (_, token) = try await Self.claim(server)
            _ = try await server.send(
                "POST", "/api/jobs/\(id)/complete", key: server.acmeKey, json: #"{"lease_token":"\#(token)"}"#)
            let events = try await done.next()
            #expect(events.map(\.event) == ["job.completed"])
            #expect(events[0].json["job_id"] as? String == id)
            for (query, field) in [("type=job.exploded", "type"), ("queue=Bad!", "queue"), ("job=nope", "job")] {
                let refused = try await server.send("GET", "/api/queue/acme/events?\(query)", key: server.acmeKey)
                #expect(refused.status == 422, "\(query)")
                #expect(refused.json["field"] as? String == field, "\(query)")
            }
        }
    }

    @Test(
        "reconnecting with Last-Event-ID gets what was missed, in order, then what comes; past the retention it gets reset",
        arguments: Engine.available)
    func resume(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let first = try await EventStreamClient.open(server, "/api/queue/acme/events", key: server.acmeKey)
            let id = try await WorkerRoutesTests.enqueue(server)
            let seen = try #require(try await first.next().first)
            first.close()
            // Missed while away: the claim and the cancel.
            _ = try await Self.claim(server)
            _ = try await server.send("POST", "/api/jobs/\(id)/cancel", key: server.acmeKey)
            let again = try await EventStreamClient.open(
                server, "/api/queue/acme/events", key: server.acmeKey, lastEventID: seen.id)
            defer { again.close() }
            let missed = try await again.next(2)
            #expect(missed.map(\.event) == ["job.started", "job.cancelled"])
            let next = try await WorkerRoutesTests.enqueue(server)
            let live = try #require(try await again.next().first)
            #expect(live.event == "job.enqueued" && live.json["job_id"] as? String == next)

            // Everything, as if the retention had passed.
            _ = try await server.store.pruneEvents(olderThan: .seconds(-3600))
            let late = try await EventStreamClient.open(
                server, "/api/queue/acme/events", key: server.acmeKey, lastEventID: seen.id)
            defer { late.close() }
            #expect(try await late.next().first?.event == "reset")
            let bad = try await server.send(
                "GET", "/api/queue/acme/events", key: server.acmeKey, headers: ["Last-Event-ID": "yesterday"])
            #expect(bad.status == 422 && bad.json["field"] as? String == "Last-Event-ID")
        }
    }

    @Test(
        "a customer key streams only its own customer's events; every customer's stream is the admins'",
        arguments: Engine.available)
    func authorization(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            #expect(try await server.send("GET", "/api/queue/globex/events", key: server.acmeKey).status == 404)
            #expect(try await server.send("GET", "/api/events", key: server.acmeKey).status == 403)
            #expect(try await server.send("GET", "/api/events", key: nil).status == 401)
            let all = try await EventStreamClient.open(server, "/api/events", key: server.adminKey)
            defer { all.close() }
            _ = try await WorkerRoutesTests.enqueue(server)
            _ = try await WorkerRoutesTests.enqueue(server, key: server.globexKey, customer: "globex")
            let events = try await all.next(2)
            #expect(Set(events.compactMap { $0.json["customer"] as? String }) == ["acme", "globex"])
        }
    }

    @Test(
        "GET /api/jobs/{id}?wait= answers as soon as the job is finished, or as it is when the wait is over",
        arguments: Engine.available)
    func wait(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let id = try await WorkerRoutesTests.enqueue(server)
            let (_, token) = try await Self.claim(server)
            let brief = try await server.send("GET", "/api/jobs/\(id)?wait=0.2", key: server.acmeKey)
            #expect(brief.status == 200 && brief.json["state"] as? String == "running")
            let started = ContinuousClock.now
            async let waited = server.send("GET", "/api/jobs/\(id)?wait=30", key: server.acmeKey, apart: true)
            _ = try await server.send(
                "POST", "/api/jobs/\(id)/complete", key: server.acmeKey,
                json: #"{"lease_token":"\#(token)","result":[1]}"#)
            let answer = try await waited
            #expect(answer.status == 200 && answer.json["state"] as? String == "completed")
            #expect(answer.json["result"] as? [Int] == [1])
            #expect(ContinuousClock.now - started < .seconds(30), "woken by the completion, not by the end of the wait")
            for bad in ["61", "-1", "soon"] {
                let refused = try await server.send("GET", "/api/jobs/\(id)?wait=\(bad)", key: server.acmeKey)
                #expect(refused.status == 422 && refused.json["field"] as? String == "wait", "\(bad)")
            }
            let other = try await server.send("GET", "/api/jobs/\(id)?wait=1", key: server.globexKey)
            #expect(other.status == 404)
        }
    }
}
