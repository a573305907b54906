import ConveyorCore
import ConveyorServer
import Foundation
import Testing

@Suite("HTTP API: keys and tenant isolation")
struct AuthorizationTests {
    /// Every route that needs a key, as the OpenAPI document names it.
    /// The documented operations that take a key: all but those whose `security` is empty.
    static var protectedRoutes: Set<String> {
        let paths = OpenAPITests.document["paths"] as? [String: [String: [String: Any]]] ?? [:]
        return Set(
            paths.flatMap { path, operations in
                operations.filter { ($0.value["security"] as? [Any])?.isEmpty != true }.keys.map {
                    "\($0.uppercased()) \(path)"
                }
            })
    }

    @Test("GET /api/me says whom the key speaks for, and no more", arguments: Engine.available)
    func me(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let acme = try await server.send("GET", "/api/me", key: server.acmeKey)
            #expect(acme.status == 200 && acme.json["customer"] as? String == "acme")
            #expect(acme.json["admin"] as? Bool == false && (acme.json["key_id"] as? String)?.hasPrefix("key_") == true)
            #expect(
                try await server.send("GET", "/api/me", key: server.globexKey).json["customer"] as? String == "globex")
            let admin = try await server.send("GET", "/api/me", key: server.adminKey)
            #expect(admin.json["customer"] is NSNull && admin.json["admin"] as? Bool == true)
            #expect(Set(acme.json.keys) == ["customer", "admin", "key_id"])
        }
    }

    @Test("each route × own customer, other customer, admin and no key", arguments: Engine.available)
    func matrix(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let created = try await server.send(
                "POST", "/api/queue/acme", key: server.acmeKey, json: QueueRoutesTests.email)
            let id = try #require(created.json["id"] as? String)
            let body = QueueRoutesTests.email
            let hook = try await server.store.createWebhook(
                try WebhookEndpointDraft(
                    customer: "acme", url: "https://93.184.215.14/hook", events: nil, queue: nil, description: nil,
                    policy: .init()), secret: WebhookSecret.generate())
            let hookURL = #"{"url":"https://93.184.215.14/hook","events":["job.completed"]}"#
            _ = try await server.store.createSchedule(
                try ScheduleDraft(
                    customer: "acme", name: "hourly", cron: "@hourly", timezone: nil, missed: nil, queue: "mail",
                    type: "email.send", payload: JobPayload(json: #"{"to":"ada@example.com"}"#), priority: nil,
                    maxAttempts: nil))
            let schedule = #"{"name":"nightly","cron":"0 3 * * *","queue":"mail","type":"email.send","payload":{}}"#
            // Every route but cancel (last, below), with the status each caller gets: the own
            // customer, another customer, an admin. No key is always 401.
            let claim = #"{"queues":["mail"],"wait_seconds":0}"#
            let lease = #"{"lease_token":"not-a-real-token"}"#
            let fail = #"{"lease_token":"not-a-real-token","error":"x"}"#
            let routes: [(String, String, String?, own: Int, other: Int, admin: Int)] = [
                ("GET", "/api/queue/acme", nil, 200, 404, 200),
                ("GET", "/api/me", nil, 200, 200, 200),
                ("POST", "/api/queue/acme", body, 201, 404, 201),
                ("POST", "/api/queue/acme/batch", #"{"jobs":[\#(body)]}"#, 201, 404, 201),
                ("GET", "/api/jobs/\(id)", nil, 200, 404, 200),
                ("POST", "/api/workers/claim", claim, 200, 200, 200),
                ("POST", "/api/jobs/\(id)/heartbeat", lease, 409, 404, 409),
                ("POST", "/api/jobs/\(id)/complete", lease, 409, 404, 409),
                ("POST", "/api/jobs/\(id)/fail", fail, 409, 404, 409),
                ("GET", "/api/dlq", nil, 200, 200, 200),
                ("POST", "/api/dlq/replay", #"{"ids":["\#(id)"]}"#, 409, 404, 409),
                ("DELETE", "/api/dlq/\(id)", nil, 409, 404, 409),
                ("POST", "/api/dlq/purge", #"{"ids":["\#(id)"]}"#, 409, 404, 409),
                ("POST", "/api/dlq/prune", "{}", 403, 403, 200),
                ("GET", "/api/admin/customers", nil, 403, 403, 200),
                ("POST", "/api/admin/customers", #"{"name":"newco"}"#, 403, 403, 201),
                ("GET", "/api/admin/keys", nil, 403, 403, 200),
                ("POST", "/api/admin/keys", #"{"customer":"acme"}"#, 403, 403, 201),
                ("POST", "/api/admin/keys/key_missing/revoke", nil, 403, 403, 404),
                (
                    "PUT", "/api/admin/customers/acme/rate-limit", #"{"requests":500,"window_seconds":60}"#, 403, 403,
                    200
                ),
                ("DELETE", "/api/admin/customers/acme/rate-limit", nil, 403, 403, 200),
                ("PUT", "/api/admin/customers/acme/weight", #"{"weight":3}"#, 403, 403, 200),
                ("DELETE", "/api/admin/customers/acme/weight", nil, 403, 403, 200),
                ("PUT", "/api/queue/acme/mail/pause", nil, 200, 404, 200),
                ("DELETE", "/api/queue/acme/mail/pause", nil, 204, 404, 204),
                ("GET", "/api/admin/pauses", nil, 403, 403, 200),
                ("PUT", "/api/admin/queues/mail/pause", nil, 403, 403, 200),
                ("DELETE", "/api/admin/queues/mail/pause", nil, 403, 403, 204),
                ("PUT", "/api/admin/customers/acme/pause", nil, 403, 403, 200),
                ("DELETE", "/api/admin/customers/acme/pause", nil, 403, 403, 204),
                ("PUT", "/api/admin/customers/acme/backlog-quota", #"{"backlog_quota":100}"#, 403, 403, 200),
                ("DELETE", "/api/admin/customers/acme/backlog-quota", nil, 403, 403, 200),
                ("GET", "/api/admin/caps", nil, 403, 403, 200),
                ("PUT", "/api/admin/queues/mail/cap", #"{"max_running":5}"#, 403, 403, 200),
                ("DELETE", "/api/admin/queues/mail/cap", nil, 403, 403, 204),
                ("PUT", "/api/admin/customers/acme/cap", #"{"max_running":5}"#, 403, 403, 200),
                ("DELETE", "/api/admin/customers/acme/cap", nil, 403, 403, 204),
                ("PUT", "/api/admin/customers/acme/queues/mail/cap", #"{"max_running":5}"#, 403, 403, 200),
                ("DELETE", "/api/admin/customers/acme/queues/mail/cap", nil, 403, 403, 204),
                ("GET", "/metrics", nil, 403, 403, 200),
                ("POST", "/api/queue/acme/webhooks", hookURL, 201, 404, 201),
                ("GET", "/api/queue/acme/webhooks", nil, 200, 404, 200),
                ("GET", "/api/queue/acme/webhooks/\(hook.id)", nil, 200, 404, 200),
                ("PATCH", "/api/queue/acme/webhooks/\(hook.id)", #"{"description":"billing"}"#, 200, 404, 200),
                ("POST", "/api/queue/acme/webhooks/\(hook.id)/rotate-secret", nil, 200, 404, 200),
                ("GET", "/api/queue/acme/webhooks/\(hook.id)/attempts", nil, 200, 404, 200),
                ("GET", "/api/admin/webhooks", nil, 403, 403, 200),
                // acme's own delete goes first: the admin's finds it gone.
                ("DELETE", "/api/queue/acme/webhooks/\(hook.id)", nil, 204, 404, 404),
                // acme's makes it: the admin's finds it made.
                ("POST", "/api/queue/acme/schedules", schedule, 201, 404, 409),
                ("GET", "/api/queue/acme/schedules", nil, 200, 404, 200),
                ("GET", "/api/queue/acme/schedules/hourly", nil, 200, 404, 200),
                ("PATCH", "/api/queue/acme/schedules/hourly", #"{"priority":2}"#, 200, 404, 200),
                ("PUT", "/api/queue/acme/schedules/hourly/pause", nil, 200, 404, 200),
                ("DELETE", "/api/queue/acme/schedules/hourly/pause", nil, 200, 404, 200),
                ("POST", "/api/queue/acme/schedules/hourly/run", nil, 201, 404, 201),
                ("GET", "/api/admin/schedules", nil, 403, 403, 200),
                ("DELETE", "/api/queue/acme/schedules/nightly", nil, 204, 404, 404),
            ]
            #expect(
                Set(
                    routes.map { "\($0.0) \(OpenAPITests.template($0.1))" } + [
                        "POST /api/jobs/{id}/cancel", "GET /api/queue/{customerId}/events", "GET /api/events",
                    ]) == AuthorizationTests.protectedRoutes)
            // The event streams stay open: each is opened and closed.
            for (path, own, other, admin) in [
                ("/api/queue/acme/events", 200, 404, 200), ("/api/events", 403, 403, 200),
            ] {
                for (key, status) in [(server.acmeKey, own), (server.globexKey, other), (server.adminKey, admin)] {
                    let stream = try await EventStreamClient.open(server, path, key: key)
                    #expect(stream.status == status, "GET \(path)")
                    stream.close()
                }
                let anonymous = try await server.send("GET", path, key: nil)
                #expect(anonymous.status == 401, "GET \(path) without a key")
            }
            for (method, path, body, own, other, admin) in routes {
                let data = body.map { Data($0.utf8) }
                #expect(
                    try await server.send(method, path, key: server.acmeKey, body: data).status == own,
                    "\(method) \(path)")
                let foreign = try await server.send(method, path, key: server.globexKey, body: data)
                #expect(foreign.status == other, "\(method) \(path) as globex")
                #expect(
                    !String(decoding: foreign.body, as: UTF8.self).contains("ada@example.com"),
                    "none of acme's data reaches globex")
                #expect(
                    try await server.send(method, path, key: server.adminKey, body: data).status == admin,
                    "\(method) \(path) as admin")
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
                "nonsense", APIKeySecret.generate(customer: "acme").secret,
                // The right prefix with a wrong last character (one that differs from the real one).
                String(server.acmeKey.dropLast()) + (server.acmeKey.hasSuffix("0") ? "1" : "0"),
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

    /// The routes anyone may call. Every other route the router has must refuse a request without
    /// an accepted key, so a route added later is held to that until it is named here.
    static let openRoutes: Set<String> = ["GET /openapi.json", "GET /livez", "GET /readyz", "GET /api/health"]

    @Test("every route the router has, but the open ones, answers 401 to no key, a malformed one and an unknown one")
    func everyRouteRefusesByDefault() async throws {
        // Limited as a server is, with room for three requests to each route from one address.
        let server = try await ServerHarness.start(
            .sqlite, rateLimits: .init(policy: try RateLimitPolicy(requests: 1_000, windowSeconds: 60)),
            health: HealthConfiguration(
                version: "t", leaderRole: "maintenance", drainDelay: .zero, reuseFor: .zero, keyLookup: .seconds(30)))
        do {
            let router = ConveyorAPI.router(
                store: server.store, rateLimiter: server.rateLimiter, health: server.health,
                metrics: MetricsExport.prometheus())
            let job = UUID().uuidString.lowercased()
            var refused = 0
            for route in router.routes {
                let template = "\(route.path)".hasPrefix("/") ? "\(route.path)" : "/\(route.path)"
                let name = "\(route.method.rawValue) \(template)"
                // Path parameters filled with values that exist, so a handler that ran would not 401.
                let path = template.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                    switch segment {
                    case ":customerId", ":name": "acme"
                    case ":id": job
                    default: String(segment)
                    }
                }.joined(separator: "/")
                for key in [nil, "nonsense", APIKeySecret.generate(customer: "acme").secret] {
                    let answer = try await server.send(
                        route.method.rawValue, path, key: key, body: route.method == .get ? nil : Data("{}".utf8))
                    if Self.openRoutes.contains(name) {
                        #expect(answer.status != 401, "\(name) is open")
                    } else {
                        #expect(answer.status == 401, "\(name) with key \(key ?? "none")")
                        #expect(answer.header("WWW-Authenticate") == "Bearer", "\(name)")
                        #expect(answer.contentType == "application/problem+json", "\(name)")
                        refused += 1
                    }
                }
            }
            #expect(refused >= 3 * 20, "the walk reached every keyed route (\(refused) refusals)")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
