import ConveyorCore
import Foundation
import Testing

/// Every request body is read strictly: a member the route does not know is refused naming it,
/// and each refusal names the real cause with the right status.
@Suite("HTTP API: request bodies are read strictly, and errors name the cause")
struct RequestBodyTests {
    @Test(
        "a member no route knows is refused with 422 naming it, on every body, and nothing changes",
        arguments: Engine.available)
    func unknownMembers(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let created = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            let id = try #require(created.json["id"] as? String)
            let cases: [(key: String, path: String, body: String, field: String)] = [
                (server.acmeKey, "/api/queue/acme", #"{"queue":"mail","type":"t","payload":1,"priorty":3}"#, "priorty"),
                (
                    server.acmeKey, "/api/queue/acme/batch",
                    #"{"jobs":[{"queue":"mail","type":"t","payload":1,"delay":5}]}"#, "jobs[0].delay"
                ),
                (server.acmeKey, "/api/queue/acme/batch", #"{"jobs":[],"atomic":true}"#, "atomic"),
                (server.acmeKey, "/api/workers/claim", #"{"queues":["mail"],"wait":5}"#, "wait"),
                (
                    server.acmeKey, "/api/jobs/\(id)/heartbeat", #"{"lease_token":"t","extend_seconds":5}"#,
                    "extend_seconds"
                ),
                (server.acmeKey, "/api/jobs/\(id)/complete", #"{"lease_token":"t","output":{}}"#, "output"),
                (server.acmeKey, "/api/jobs/\(id)/fail", #"{"lease_token":"t","error":"x","retry":false}"#, "retry"),
                (server.acmeKey, "/api/dlq/replay", #"{"filter":{"queu":"mail"}}"#, "filter.queu"),
                (server.acmeKey, "/api/dlq/purge", #"{"ids":["\#(id)"],"all":true}"#, "all"),
                (server.adminKey, "/api/dlq/prune", #"{"dead_max_age":5}"#, "dead_max_age"),
                (server.adminKey, "/api/admin/customers", #"{"name":"initech","weight":3}"#, "weight"),
                (server.adminKey, "/api/admin/keys", #"{"customer":"acme","expires":"never"}"#, "expires"),
            ]
            for (key, path, body, field) in cases {
                let answer = try await server.send("POST", path, key: key, json: body)
                #expect(answer.status == 422, "\(path) \(body): \(answer.json)")
                #expect(answer.json["field"] as? String == field, "\(path) \(body)")
                #expect((answer.json["detail"] as? String)?.contains("is not a member of this request") == true)
            }
            let limit = try await server.send(
                "PUT", "/api/admin/customers/acme/rate-limit", key: server.adminKey,
                json: #"{"requests":10,"window_seconds":60,"burst":5}"#)
            #expect(limit.status == 422)
            #expect(limit.json["field"] as? String == "burst")
            let twice = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey,
                json: #"{"queue":"mail","queue":"billing","type":"t","payload":1}"#)
            #expect(twice.status == 422)
            #expect(twice.json["field"] as? String == "queue")
            #expect((twice.json["detail"] as? String)?.contains("twice") == true)

            #expect(
                try await server.store.counts(customer: nil).flatMap(\.counts.values).reduce(0, +) == 1,
                "one job, as before")
            #expect(try await server.store.customers().map(\.name) == ["acme", "globex"])
            #expect(try await server.store.customer(named: "acme")?.rateLimit == nil)
            #expect(try await server.store.apiKeys(customer: "acme").count == 1)
        }
    }

    @Test("each refusal names the field and the rule, with the right status", arguments: Engine.available)
    func causes(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let invalidUTF8 =
                Data(#"{"queue":"mail","type":"t","payload":{"s":""#.utf8) + Data([0xFF, 0xFE]) + Data(#""}}"#.utf8)
            let deep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
            let cases: [(body: Data, status: Int, field: String?, detail: String)] = [
                (invalidUTF8, 400, "payload.s", "invalid UTF-8 (byte 0xFF"),
                (
                    Data(#"{"queue":"mail","type":"t","payload":1,"priority":1.5}"#.utf8), 422, "priority",
                    "priority must be a whole number (got 1.5)"
                ),
                (
                    Data(#"{"queue":"mail","type":"t","payload":1,"max_attempts":1e30}"#.utf8), 422, "max_attempts",
                    "out of range"
                ),
                (Data(#"{"queue":"mail","type":"t","payload":\#(deep)}"#.utf8), 422, "payload", "more than 128 levels"),
                (Data(#"{"queue":"mail","type":"t","payload":1,"priority":null}"#.utf8), 201, nil, ""),
                (
                    Data(#"{"queue":["mail"],"type":"t","payload":1}"#.utf8), 422, "queue",
                    "queue must be a string, not an array"
                ),
                (Data(#"{"queue":"\ud800","type":"t","payload":1}"#.utf8), 422, "queue", "lone surrogate"),
                (Data(#"{"queue":"mail","type":"t","payload":1,}"#.utf8), 400, nil, "trailing comma"),
                (
                    Data([0xEF, 0xBB, 0xBF]) + Data(#"{"queue":"mail","type":"t","payload":1}"#.utf8), 400, nil,
                    "byte-order mark"
                ),
                (Data(#"{"queue":"mail","type":"t","payload":1} x"#.utf8), 400, nil, "more follows the value"),
            ]
            for (body, status, field, detail) in cases {
                let answer = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, body: body)
                let shown = String(decoding: body.prefix(70), as: UTF8.self)
                #expect(answer.status == status, "\(shown): \(answer.json)")
                guard status >= 400 else { continue }
                #expect(answer.contentType == "application/problem+json")
                #expect(answer.json["field"] as? String == field, "\(shown)")
                #expect(
                    (answer.json["detail"] as? String)?.contains(detail) == true,
                    "\(shown): \(answer.json["detail"] ?? "")")
            }
        }
    }

    @Test("a path that exists answers another method with 405 and Allow", arguments: Engine.available)
    func methodNotAllowed(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let cases: [(String, String, String)] = [
                ("DELETE", "/api/queue/acme", "GET, POST"),
                ("GET", "/api/queue/acme/batch", "POST"),
                ("PUT", "/api/workers/claim", "POST"),
                ("POST", "/api/admin/customers/acme/rate-limit", "DELETE, PUT"),
            ]
            for (method, path, allow) in cases {
                let answer = try await server.send(method, path, key: server.acmeKey)
                #expect(answer.status == 405, "\(method) \(path)")
                #expect(answer.header("Allow") == allow, "\(method) \(path)")
                #expect(answer.contentType == "application/problem+json")
            }
            let missing = try await server.send("GET", "/api/nowhere", key: server.acmeKey)
            #expect(missing.status == 404, "a path no route has is still 404")
        }
    }
}
