import ConveyorCore
import Foundation
import Testing

@Suite("HTTP API: keys and tenant isolation")
struct AuthorizationTests {
    @Test("each route × own customer, other customer, admin and no key", arguments: Engine.available)
    func matrix(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let created = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            let id = try #require(created.json["id"] as? String)
            let body = QueueRoutesTests.email
            // (method, path, body, expected status for: own customer, other customer, admin)
            let routes: [(String, String, String?, own: Int, other: Int, admin: Int)] = [
                ("GET", "/api/queue/acme", nil, 200, 404, 200),
                ("POST", "/api/queue/acme", body, 201, 404, 201),
                ("GET", "/api/jobs/\(id)", nil, 200, 404, 200),
            ]
            for (method, path, body, own, other, admin) in routes {
                let data = body.map { Data($0.utf8) }
                #expect(
                    try await server.send(method, path, key: server.acmeKey, body: data).status == own,
                    "\(method) \(path)")
                let foreign = try await server.send(method, path, key: server.globexKey, body: data)
                #expect(foreign.status == other, "\(method) \(path) as globex")
                #expect(foreign.json["jobs"] == nil && foreign.json["payload"] == nil, "no data leaks to globex")
                #expect(try await server.send(method, path, key: server.adminKey, body: data).status == admin)
                let anonymous = try await server.send(method, path, key: nil, body: data)
                #expect(anonymous.status == 401, "\(method) \(path) without a key")
                #expect(anonymous.header("WWW-Authenticate") == "Bearer")
            }
            // Cancel last: globex may not, acme may.
            #expect(try await server.send("POST", "/api/jobs/\(id)/cancel", key: server.globexKey).status == 404)
            #expect(try await server.send("POST", "/api/jobs/\(id)/cancel", key: nil).status == 401)
            #expect(try await server.send("POST", "/api/jobs/\(id)/cancel", key: server.acmeKey).status == 200)
            // The admin reaches a customer that exists; one that does not is 404.
            #expect(try await server.send("GET", "/api/queue/initech", key: server.adminKey).status == 404)
        }
    }

    @Test("malformed, unknown and revoked keys are 401 problems", arguments: Engine.available)
    func badKeys(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            for key in [
                "nonsense", APIKeySecret.generate(customer: "acme").secret, String(server.acmeKey.dropLast()) + "0",
            ] {
                let answer = try await server.send("GET", "/api/queue/acme", key: key)
                #expect(answer.status == 401)
                #expect(answer.contentType == "application/problem+json")
            }
            let key = try #require(try await server.store.apiKeys(customer: "acme").first)
            #expect(try await server.send("GET", "/api/queue/acme", key: server.acmeKey).status == 200)
            _ = try await server.store.revokeAPIKey(id: key.id)
            #expect(try await server.send("GET", "/api/queue/acme", key: server.acmeKey).status == 401)
        }
    }
}
