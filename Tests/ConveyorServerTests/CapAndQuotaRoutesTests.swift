import ConveyorCore
import Foundation
import Testing

/// Caps and backlog quotas over HTTP: set by an admin, obeyed by claims and enqueues.
@Suite("HTTP API: concurrency caps and backlog quotas")
struct CapAndQuotaRoutesTests {
    static let claim = #"{"queues":["mail"],"max":10,"wait_seconds":0}"#

    static func claimed(_ server: ServerHarness) async throws -> [[String: Any]] {
        let answer = try await server.send("POST", "/api/workers/claim", key: server.acmeKey, json: claim)
        #expect(answer.status == 200)
        return try #require(answer.json["jobs"] as? [[String: Any]])
    }

    @Test("a customer's cap on a queue holds its claims to it until removed", arguments: Engine.available)
    func cap(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let path = "/api/admin/customers/acme/queues/mail/cap"
            let set = try await server.send("PUT", path, key: server.adminKey, json: #"{"max_running":1}"#)
            #expect(set.status == 200)
            #expect(set.json["queue"] as? String == "mail" && set.json["max_running"] as? Int == 1)
            for _ in 0..<3 { _ = try await WorkerRoutesTests.enqueue(server) }
            #expect(try await Self.claimed(server).count == 1)
            #expect(try await Self.claimed(server).isEmpty, "the one slot is taken")
            let listed = try await server.send("GET", "/api/admin/caps", key: server.adminKey)
            #expect((listed.json["caps"] as? [[String: Any]])?.first?["customer"] as? String == "acme")
            let bad = try await server.send("PUT", path, key: server.adminKey, json: #"{"max_running":0}"#)
            #expect(bad.status == 422 && bad.contentType == "application/problem+json")
            #expect(bad.json["field"] as? String == "max_running")
            #expect(try await server.send("DELETE", path, key: server.adminKey).status == 204)
            #expect(try await Self.claimed(server).count == 2)
        }
    }

    @Test(
        "an enqueue or batch past the backlog quota is a 429 naming it, and keeps nothing", arguments: Engine.available)
    func quota(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let set = try await server.send(
                "PUT", "/api/admin/customers/acme/backlog-quota", key: server.adminKey, json: #"{"backlog_quota":2}"#)
            #expect(set.status == 200 && set.json["backlog_quota"] as? Int == 2)
            for _ in 0..<2 { _ = try await WorkerRoutesTests.enqueue(server) }
            let refused = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            #expect(refused.status == 429 && refused.contentType == "application/problem+json")
            #expect(refused.json["field"] as? String == "backlog_quota")
            #expect((refused.json["type"] as? String)?.hasSuffix("/backlog-quota") == true)
            #expect((refused.json["detail"] as? String)?.contains("at most 2 jobs waiting") == true)
            // One runs: one place is free, so a batch of two is refused whole and a single job fits.
            #expect(try await Self.claimed(server).count == 2)
            _ = try await WorkerRoutesTests.enqueue(server)
            let batch = try await server.send(
                "POST", "/api/queue/acme/batch", key: server.acmeKey,
                json: #"{"jobs":[\#(QueueRoutesTests.email),\#(QueueRoutesTests.email)]}"#)
            #expect(batch.status == 429 && batch.json["field"] as? String == "backlog_quota")
            let listing = try await server.send("GET", "/api/queue/acme", key: server.acmeKey)
            #expect((listing.json["jobs"] as? [Any])?.count == 3, "the refused batch left nothing")
            #expect(
                try await server.send("DELETE", "/api/admin/customers/acme/backlog-quota", key: server.adminKey)
                    .json["backlog_quota"] is NSNull)
        }
    }

    @Test(
        "one customer over its backlog quota never refuses another's enqueues sent beside it",
        arguments: Engine.available)
    func quotaStaysOwn(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let set = try await server.send(
                "PUT", "/api/admin/customers/globex/backlog-quota", key: server.adminKey,
                json: #"{"backlog_quota":1}"#)
            #expect(set.status == 200)
            #expect(
                try await server.send("POST", "/api/queue/globex", key: server.globexKey, json: QueueRoutesTests.email)
                    .status == 201)
            // Eight clients each send acme's and globex's single enqueues in turn, so that the
            // server's group commit puts both customers' requests into the same transactions.
            let answers = try await withThrowingTaskGroup(of: [(String, ServerHarness.Answer)].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var answers: [(String, ServerHarness.Answer)] = []
                        for _ in 0..<15 {
                            for (customer, key) in [("acme", server.acmeKey), ("globex", server.globexKey)] {
                                answers.append(
                                    (
                                        customer,
                                        try await server.send(
                                            "POST", "/api/queue/\(customer)", key: key, json: QueueRoutesTests.email)
                                    ))
                            }
                        }
                        return answers
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let acme = answers.filter { $0.0 == "acme" }.map(\.1)
            let globex = answers.filter { $0.0 == "globex" }.map(\.1)
            #expect(acme.count == 120 && globex.count == 120)
            #expect(acme.allSatisfy { $0.status == 201 }, "every one of acme's enqueues is accepted")
            #expect(acme.allSatisfy { !String(decoding: $0.body, as: UTF8.self).contains("globex") })
            #expect(globex.allSatisfy { $0.status == 429 && $0.json["field"] as? String == "backlog_quota" })
            #expect(globex.allSatisfy { !String(decoding: $0.body, as: UTF8.self).contains("acme") })
            let counts = try await server.store.counts(customer: "acme").reduce(0) { $0 + $1.total }
            #expect(counts == 120, "every accepted job is committed")
        }
    }
}
