import ConveyorCore
import Foundation
import Testing

@Suite("HTTP API: customers and keys")
struct AdminRoutesTests {
    @Test(
        "an admin makes customers and keys; a new key works until revoked; keys never show their hash",
        arguments: Engine.available)
    func lifecycle(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let created = try await server.send(
                "POST", "/api/admin/customers", key: server.adminKey, json: #"{"name":"initech"}"#)
            #expect(created.status == 201)
            #expect(created.json["name"] as? String == "initech")
            let duplicate = try await server.send(
                "POST", "/api/admin/customers", key: server.adminKey, json: #"{"name":"initech"}"#)
            #expect(duplicate.status == 409)
            let listed = try await server.send("GET", "/api/admin/customers", key: server.adminKey)
            #expect(
                (listed.json["customers"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == [
                    "acme", "globex", "initech",
                ])

            let made = try await server.send(
                "POST", "/api/admin/keys", key: server.adminKey, json: #"{"customer":"initech"}"#)
            #expect(made.status == 201)
            #expect(made.header("Cache-Control") == "no-store", "the one answer with the key is never cached")
            let secret = try #require(made.json["key"] as? String)
            let id = try #require(made.json["id"] as? String)
            #expect(try await server.send("GET", "/api/queue/initech", key: secret).status == 200)

            let keys = try await server.send("GET", "/api/admin/keys?customer=initech", key: server.adminKey)
            let shown = try #require((keys.json["keys"] as? [[String: Any]])?.first)
            #expect(shown["id"] as? String == id)
            #expect(shown["key"] == nil && shown["secret_hash"] == nil, "a listed key shows neither key nor hash")
            #expect(String(decoding: keys.body, as: UTF8.self).contains(secret) == false)

            let revoked = try await server.send("POST", "/api/admin/keys/\(id)/revoke", key: server.adminKey)
            #expect(revoked.status == 200)
            #expect(revoked.json["revoked_at"] is String)
            #expect(try await server.send("GET", "/api/queue/initech", key: secret).status == 401)

            for (body, field) in [
                (#"{}"#, "customer"), (#"{"customer":"acme","admin":true}"#, "customer"),
                (#"{"customer":"nope"}"#, nil),
            ] {
                let refused = try await server.send("POST", "/api/admin/keys", key: server.adminKey, json: body)
                #expect(refused.status == (field == nil ? 404 : 422), "\(body)")
            }
            #expect(
                try await server.send(
                    "POST", "/api/admin/customers", key: server.adminKey, json: #"{"name":"Bad Name"}"#
                )
                .json["field"] as? String == "name")
        }
    }
}
