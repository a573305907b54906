import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

/// What a producer sends is what the store keeps and what every reader gets back, byte for byte,
/// through the single and the batch enqueue; what the grammar forbids is refused naming the rule.
@Suite("HTTP API: payloads are kept byte for byte")
struct PayloadFidelityTests {
    static func enqueueBody(_ payload: [UInt8]) -> Data {
        Data(#"{"queue":"mail","type":"t","payload":"#.utf8 + payload + "}".utf8)
    }

    /// The bytes of the `member` of the object at `path` in a JSON answer.
    static func bytes(in body: Data, at path: [JSONPathComponent] = [], member: String = "payload") throws -> [UInt8] {
        let document = try JSONDocument(parsing: body, maxDepth: 1000)
        let node = try #require(document.value(at: path + [.name(member)]), "the answer has no \(member) at \(path)")
        return Array(document.bytes[node.span])
    }

    @Test(
        "each tricky document comes back as sent from enqueue, the job, a listing and a claim",
        arguments: Engine.available)
    func single(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            for payload in PayloadCorpus.accepted {
                let shown = String(decoding: payload.prefix(60), as: UTF8.self)
                let created = try await server.send(
                    "POST", "/api/queue/acme", key: server.acmeKey, body: Self.enqueueBody(payload))
                #expect(created.status == 201, "\(shown): \(String(decoding: created.body, as: UTF8.self))")
                guard created.status == 201 else { continue }
                #expect(try Self.bytes(in: created.body) == payload, "\(shown) in the enqueue answer")
                // Not JSONSerialization: it refuses some of these documents (1E400, a lone surrogate).
                let idSpan = try Self.bytes(in: created.body, member: "id")
                let id = String(decoding: idSpan.dropFirst().dropLast(), as: UTF8.self)
                let jobID = try #require(JobID(id))
                let stored = try #require(try await server.store.job(id: jobID))
                #expect(Array(stored.payload.text.utf8) == payload, "\(shown) in the store")
                let read = try await server.send("GET", "/api/jobs/\(id)", key: server.acmeKey)
                #expect(try Self.bytes(in: read.body) == payload, "\(shown) in GET /api/jobs")
                let claimed = try await server.send(
                    "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["mail"]}"#)
                #expect(
                    try Self.bytes(in: claimed.body, at: [.name("jobs"), .index(0)]) == payload, "\(shown) claimed")
            }
            let listed = try await server.send("GET", "/api/queue/acme?limit=1000", key: server.acmeKey)
            let document = try JSONDocument(parsing: listed.body, maxDepth: 1000)
            guard case .array(let jobs)? = document.value(at: [.name("jobs")])?.kind else {
                Issue.record("the listing has no jobs")
                return
            }
            let payloads = try jobs.indices.map { try Self.bytes(in: listed.body, at: [.name("jobs"), .index($0)]) }
            #expect(Set(payloads) == Set(PayloadCorpus.accepted), "a listing shows every payload as sent")
        }
    }

    @Test("a batch keeps each job's payload as sent", arguments: Engine.available)
    func batch(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            var body = Array(#"{"jobs":["#.utf8)
            for (index, payload) in PayloadCorpus.accepted.enumerated() {
                if index > 0 { body += Array(",".utf8) }
                body += Array(#"{"queue":"mail","type":"t","payload":"#.utf8) + payload + Array("}".utf8)
            }
            body += Array("]}".utf8)
            let created = try await server.send("POST", "/api/queue/acme/batch", key: server.acmeKey, body: Data(body))
            #expect(created.status == 201, "\(String(decoding: created.body.prefix(300), as: UTF8.self))")
            for (index, payload) in PayloadCorpus.accepted.enumerated() {
                #expect(try Self.bytes(in: created.body, at: [.name("jobs"), .index(index)]) == payload)
            }
            let stored = try await server.store.list(try JobQuery(filter: try JobFilter(customer: "acme"), limit: 1000))
            #expect(Set(stored.jobs.map { Array($0.payload.text.utf8) }) == Set(PayloadCorpus.accepted))
        }
    }

    @Test(
        "a document the grammar forbids is refused naming the field and the rule, and nothing is written",
        arguments: Engine.available)
    func refused(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            for refused in PayloadCorpus.refused {
                let single = try await server.send(
                    "POST", "/api/queue/acme", key: server.acmeKey, body: Self.enqueueBody(refused.bytes))
                let batchBody =
                    Data(#"{"jobs":[{"queue":"mail","type":"t","payload":1},"#.utf8)
                    + Self.enqueueBody(refused.bytes) + Data("]}".utf8)
                let batch = try await server.send("POST", "/api/queue/acme/batch", key: server.acmeKey, body: batchBody)
                for (answer, prefix) in [(single, "payload"), (batch, "jobs[1].payload")] {
                    let detail = answer.json["detail"] as? String ?? ""
                    #expect([400, 422].contains(answer.status), "\(refused): \(answer.status)")
                    #expect(answer.contentType == "application/problem+json")
                    #expect(answer.json["field"] as? String == prefix + refused.field, "\(refused): \(detail)")
                    #expect(detail.contains(refused.rule), "\(refused): \(detail)")
                }
            }
            #expect(try await server.store.counts(customer: nil).isEmpty, "nothing was written")
        }
    }

    @Test("a retried request is the same request however its JSON is spelled", arguments: Engine.available)
    func fingerprints(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            func send(_ json: String, key: String) async throws -> ServerHarness.Answer {
                try await server.send(
                    "POST", "/api/queue/acme", key: server.acmeKey, json: json, headers: ["Idempotency-Key": key])
            }
            let first = try await send(#"{"queue":"mail","type":"t","payload":{"a":"\u00e9","b":[1, 2]}}"#, key: "k1")
            #expect(first.status == 201)
            let respelled = try await send(
                #"{ "payload" : { "b" : [1,2], "a" : "é" }, "type":"t", "queue":"mail" }"#, key: "k1")
            #expect(respelled.status == 200, "the same request, spelled otherwise, is a replay")
            #expect(respelled.json["id"] as? String == first.json["id"] as? String)
            #expect(try Self.bytes(in: respelled.body) == Array(#"{"a":"\u00e9","b":[1, 2]}"#.utf8), "as first sent")
            let different = try await send(#"{"queue":"mail","type":"t","payload":{"a":"é","b":[1,2.0]}}"#, key: "k1")
            #expect(different.status == 422, "2.0 is not 2: the worker would get other bytes")
            #expect(different.json["field"] as? String == "Idempotency-Key")
        }
    }
}
