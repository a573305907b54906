import ConveyorCore
import Foundation
import Testing

@Suite("HTTP API: bad input is a problem naming the field, and nothing is written")
struct BadInputTests {
    @Test("enqueue refuses each kind of bad body", arguments: Engine.available)
    func enqueue(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let big = String(repeating: "x", count: JobLimits.default.payloadBytes + 10)
            let cases: [(body: String, status: Int, field: String?)] = [
                (#"{"queue":"mail""#, 400, nil),
                ("[1,2]", 422, nil),
                (#"{"type":"t","payload":1}"#, 422, "queue"),
                (#"{"queue":"mail","payload":1}"#, 422, "type"),
                (#"{"queue":"mail","type":"t"}"#, 422, "payload"),
                (#"{"queue":5,"type":"t","payload":1}"#, 422, "queue"),
                (#"{"queue":"Mail Queue","type":"t","payload":1}"#, 422, "queue"),
                (#"{"queue":"mail","type":"9lives","payload":1}"#, 422, "type"),
                (#"{"queue":"mail","type":"t","payload":1,"priority":"high"}"#, 422, "priority"),
                (#"{"queue":"mail","type":"t","payload":1,"priority":12}"#, 422, "priority"),
                (#"{"queue":"mail","type":"t","payload":1,"max_attempts":0}"#, 422, "max_attempts"),
                (#"{"queue":"mail","type":"t","payload":1,"delay_seconds":-5}"#, 422, "delay_seconds"),
                // Huge numbers are refused before they are turned into durations (they used to trap).
                (#"{"queue":"mail","type":"t","payload":1,"delay_seconds":1e300}"#, 422, "delay_seconds"),
                (#"{"queue":"mail","type":"t","payload":1,"delay_seconds":-1e300}"#, 422, "delay_seconds"),
                (#"{"queue":"mail","type":"t","payload":1,"run_at":"tomorrow"}"#, 422, "run_at"),
                (#"{"queue":"mail","type":"t","payload":"\#(big)"}"#, 413, "payload"),
            ]
            for (body, status, field) in cases {
                let answer = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: body)
                #expect(answer.status == status, "\(body.prefix(80))")
                #expect(answer.contentType == "application/problem+json", "\(body.prefix(80))")
                #expect(answer.json["field"] as? String == field, "\(body.prefix(80))")
                #expect(answer.json["status"] as? Int == status)
                #expect((answer.json["detail"] as? String)?.isEmpty == false)
            }
            let huge = Data(count: 5 << 20)
            let tooBig = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, body: huge)
            #expect(tooBig.status == 413, "\(String(decoding: tooBig.body.prefix(300), as: UTF8.self))")
            #expect(try await server.store.counts(customer: nil).isEmpty, "nothing was written")
        }
    }

    @Test("paths and query parameters are checked", arguments: Engine.available)
    func parameters(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let cases: [(String, String, Int, String?)] = [
                ("GET", "/api/jobs/not-a-uuid", 422, "id"),
                ("POST", "/api/jobs/not-a-uuid/cancel", 422, "id"),
                ("GET", "/api/queue/acme?state=sleeping", 422, "state"),
                ("GET", "/api/queue/acme?limit=5000", 422, "limit"),
                ("GET", "/api/queue/acme?limit=ten", 422, "limit"),
                ("GET", "/api/queue/acme?cursor=bogus", 422, "cursor"),
                ("GET", "/api/queue/acme?queue=Bad%20Queue", 422, "queue"),
                ("GET", "/api/queue/ACME", 422, "customerId"),
                ("GET", "/api/jobs/01900000-0000-7000-8000-000000000000", 404, nil),
            ]
            for (method, path, status, field) in cases {
                let answer = try await server.send(method, path, key: server.acmeKey)
                #expect(answer.status == status, "\(method) \(path)")
                #expect(answer.contentType == "application/problem+json", "\(method) \(path)")
                #expect(answer.json["field"] as? String == field, "\(method) \(path)")
            }
        }
    }

    @Test("lease, dead-letter and admin bodies are checked", arguments: Engine.available)
    func otherBodies(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let created = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            let id = try #require(created.json["id"] as? String)
            let cases: [(String, String, String, Int, String?)] = [
                ("POST", "/api/jobs/\(id)/complete", "{}", 422, "lease_token"),
                ("POST", "/api/jobs/\(id)/complete", #"{"lease_token":7}"#, 422, "lease_token"),
                ("POST", "/api/jobs/\(id)/complete", #"{"lease_token":""}"#, 422, "lease_token"),
                ("POST", "/api/jobs/\(id)/heartbeat", #"{"lease_token":"t","lease_seconds":0}"#, 422, "lease_seconds"),
                (
                    "POST", "/api/jobs/\(id)/heartbeat", #"{"lease_token":"t","lease_seconds":1e300}"#, 422,
                    "lease_seconds"
                ),
                ("POST", "/api/workers/claim", #"{"queues":["mail"],"lease_seconds":1e300}"#, 422, "lease_seconds"),
                (
                    "POST", "/api/jobs/\(id)/heartbeat", #"{"lease_token":"t","lease_seconds":"long"}"#, 422,
                    "lease_seconds"
                ),
                ("POST", "/api/jobs/\(id)/fail", #"{"lease_token":"t"}"#, 422, "error"),
                (
                    "POST", "/api/jobs/\(id)/fail", #"{"lease_token":"t","error":"x","retryable":"yes"}"#, 422,
                    "retryable"
                ),
                ("POST", "/api/jobs/not-a-uuid/heartbeat", #"{"lease_token":"t"}"#, 422, "id"),
                ("POST", "/api/dlq/replay", #"{"ids":["nope"]}"#, 422, "ids[0]"),
                ("POST", "/api/dlq/replay", #"{"ids":[]}"#, 422, "ids"),
                ("POST", "/api/dlq/replay", #"{"filter":{"queue":"Bad Queue"}}"#, 422, "queue"),
                ("DELETE", "/api/dlq/not-a-uuid", "", 422, "id"),
                ("POST", "/api/jobs/\(id)/complete", #"{"lease_token":"t""#, 400, nil),
            ]
            for (method, path, body, status, field) in cases {
                let answer = try await server.send(method, path, key: server.acmeKey, json: body)
                #expect(answer.status == status, "\(method) \(path) \(body)")
                #expect(answer.contentType == "application/problem+json", "\(method) \(path) \(body)")
                #expect(answer.json["field"] as? String == field, "\(method) \(path) \(body)")
            }
            let admin: [(String, Int, String?)] = [
                (#"{"name":"Bad Name"}"#, 422, "name"), (#"{"name":5}"#, 422, "name"), ("{}", 422, "name"),
            ]
            for (body, status, field) in admin {
                let answer = try await server.send("POST", "/api/admin/customers", key: server.adminKey, json: body)
                #expect(answer.status == status, "\(body)")
                #expect(answer.json["field"] as? String == field, "\(body)")
            }
            let jobID = try #require(JobID(id))
            let job = try #require(try await server.store.job(id: jobID))
            #expect(job.state == .available && job.attempt == 0, "nothing was changed")
            #expect(try await server.store.customers().map(\.name) == ["acme", "globex"])
        }
    }
}
