import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// No log line at any level holds a secret: serve and a worker run at trace level on a PostgreSQL
/// of the test's own, through good and bad keys, dashboard sign-ins, an alert to a webhook that
/// cannot be reached, and the database stopped and started again; then every line of both is
/// searched for each secret they were given or handed out.
@Suite(
    "Secrets stay out of the logs",
    .enabled(if: ThrowawayPostgres.binaries != nil, "needs scripts/test's PostgreSQL binaries"))
struct SecretLogTests {
    static func send(_ base: URL, _ method: String, _ path: String, key: String?, body: String? = nil) async -> Int {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!, timeoutInterval: 30)
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        request.httpBody = body.map { Data($0.utf8) }
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return 0 }
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    @Test("serve and work at trace level log no key, session, webhook URL or database password")
    func traceLogs() async throws {
        let cluster = try await ThrowawayPostgres.start()
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        do {
            let password = "db-secret-\(UUID().uuidString.prefix(8))"
            let admin = APIKeySecret.generate(customer: nil).secret
            let hookPath = "/services/T0/B0/hook-\(UUID().uuidString.prefix(12))"
            let webhook = "http://127.0.0.1:\(try freeLoopbackPort())\(hookPath)"
            let env = [
                // Trust authentication ignores the password; it is in the URL every process is given.
                "DATABASE_URL": "postgres://postgres:\(password)@127.0.0.1:\(cluster.port)/postgres",
                "CONVEYOR_ADMIN_KEY": admin, "SLACK_WEBHOOK_URL": webhook, "LOG_LEVEL": "trace",
                "ALERT_DEAD_LETTERS": "0", "DLQ_MONITOR_INTERVAL_SECONDS": "0.5",
            ]
            let key = try await ServeCommandTests.customerKey(cli, "acme", environment: env)
            let guess = "cvk_" + String(APIKeySecret.generate(customer: nil).secret.dropFirst(4))
            let (server, base) = try await ServeCommandTests.serve(cli, environment: env)
            defer { server.stop() }
            let worker = try cli.start(["work", "--queue", "mail", "--", "sh", "-c", "exit 65"], environment: env)
            defer { worker.stop() }

            let job = #"{"queue":"mail","type":"email.send","payload":{"n":1}}"#
            #expect(await Self.send(base, "POST", "api/queue/acme", key: key, body: job) == 201)
            #expect(await Self.send(base, "POST", "api/queue/acme", key: guess, body: job) == 401)
            #expect(await Self.send(base, "GET", "api/admin/customers", key: admin) == 200)
            #expect(await Self.send(base, "GET", "api/health", key: guess) == 200)
            #expect(await Self.send(base, "GET", "metrics", key: admin) == 200)
            // The job's program exits 65: dead, and the dead-letter alert cannot reach its webhook.
            // Whichever process leads the dead-letter monitor tries the webhook.
            try await poll("the alert's failed delivery") {
                (server.output + worker.output).contains("alert delivery failed")
            }

            let browser = DashboardClient(base)
            #expect(try await browser.signIn(guess).status == 401)
            #expect(try await browser.signIn(admin).status == 303)
            let session = try #require(browser.sessionCookie?.split(separator: "=").last.map(String.init))
            #expect(try await browser.get("/").status == 200)

            try await cluster.stopServer()
            #expect(await Self.send(base, "POST", "api/queue/acme", key: key, body: job) == 503)
            #expect(await Self.send(base, "GET", "api/health", key: admin) == 503)
            _ = try? await browser.get("/")
            try await cluster.startServer()
            try await poll("the server to answer again") {
                await Self.send(base, "POST", "api/queue/acme", key: key, body: job) == 201
            }
            worker.signal(SIGTERM)
            _ = try await worker.waitForExit()
            server.signal(SIGTERM)
            _ = try await server.waitForExit()

            let lines = (server.output + worker.output).split(separator: "\n")
            #expect(lines.contains { $0.contains(" trace ") }, "the processes logged at trace level")
            let secrets = [
                ("the admin key", admin), ("a customer key", key), ("a guessed key", guess),
                ("the session token", session), ("the webhook URL", hookPath), ("the database password", password),
            ]
            for (what, secret) in secrets {
                let leaks = lines.filter { $0.contains(secret) }
                #expect(leaks.isEmpty, "\(what) is in the log: \(leaks.prefix(3))")
            }
        } catch {
            await cluster.remove()
            throw error
        }
        await cluster.remove()
    }
}
