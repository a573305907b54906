import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

/// Dashboard sessions live in the database: two `conveyor serve` processes sharing it know the
/// same sign-ins, across restarts, and a sign-out or a revoked key ends a session on both.
@Suite("Dashboard sessions across serve processes")
struct DashboardSessionCLITests {
    @Test(
        "signed in through one serve, a browser acts through another, across a restart; sign-out or revocation ends it on both",
        arguments: ClusterTests.engines)
    func everyNode(_ engine: ClusterTests.Engine) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (url, store, drop) = try await ClusterTests.database(engine, in: cli)
        let admin = APIKeySecret.generate(customer: nil).secret
        let env = ["DATABASE_URL": url, "CONVEYOR_ADMIN_KEY": admin, "MAINTENANCE": "off"]
        let key = try await ServeCommandTests.customerKey(cli, "acme", environment: env)
        _ = try await store.enqueue(
            NewJob(customer: "acme", queue: "mail", type: "email.send", payloadJSON: #"{"n":1}"#))
        let (one, oneURL) = try await ServeCommandTests.serve(cli, environment: env)
        defer { one.stop() }
        var (two, twoURL) = try await ServeCommandTests.serve(cli, environment: env)
        defer { two.stop() }

        let first = DashboardClient(oneURL)
        #expect(try await first.signIn(key).status == 303)
        let cookie = try #require(first.sessionCookie)
        let second = DashboardClient(twoURL)
        second.use(cookie: cookie)
        let queues = try await second.get("/queues")
        #expect(queues.status == 200, "the session made on the first serve is known to the second")
        let csrf = try #require(queues.csrf)
        let paused = try await second.post(
            "/queues/pause", [("queue", "mail"), ("customer", "acme"), ("csrf", csrf)])
        #expect(paused.status == 303, "and acts there with its form token")
        #expect(try await store.pauses().contains { $0.queue == "mail" && $0.customer == "acme" })

        two.signal(SIGTERM)
        #expect(try await two.waitForExit() == 0)
        (two, twoURL) = try await ServeCommandTests.serve(cli, environment: env)
        let again = DashboardClient(twoURL)
        again.use(cookie: cookie)
        #expect(try await again.get("/").status == 200, "a restart signs no one out")

        #expect(try await first.post("/sign-out", [("csrf", csrf)]).status == 303)
        #expect(try await again.get("/").header("Location") == "/sign-in", "signed out on one, out on both")

        // Revoking the key on one node ends its other sessions everywhere.
        #expect(try await first.signIn(key).status == 303)
        again.use(cookie: first.sessionCookie)
        #expect(try await again.get("/").status == 200)
        let keys = try await store.apiKeys(customer: "acme")
        _ = try await store.revokeAPIKey(id: try #require(keys.first).id)
        #expect(try await first.get("/").header("Location") == "/sign-in")
        #expect(try await again.get("/").header("Location") == "/sign-in")
        await drop()
    }
}
