import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("conveyor serve, customers and keys")
struct ServeCommandTests {
    /// Starts `conveyor serve --port 0` and returns it with the URL it listens on.
    static func serve(
        _ cli: ConveyorProcess, environment: [String: String] = [:]
    ) async throws -> (RunningConveyor, URL) {
        let server = try cli.start(["serve", "--port", "0"], environment: environment)
        var url: URL?
        try await poll("the server to listen") {
            let line = server.output.split(separator: "\n").first { $0.hasPrefix("listening on ") }
            url = line.flatMap { URL(string: String($0.dropFirst("listening on ".count))) }
            return url != nil || !server.process.isRunning
        }
        return (server, try #require(url, "serve exited: \(server.output)"))
    }

    /// Makes a customer and a key for it with the CLI; returns the key it printed.
    static func customerKey(
        _ cli: ConveyorProcess, _ customer: String, environment: [String: String] = [:]
    ) async throws -> String {
        #expect(try await cli.run(["customers", "create", customer], environment: environment).status == 0)
        let made = try await cli.run(["keys", "create", "--customer", customer], environment: environment)
        #expect(made.status == 0, "\(made.stderr)")
        return String(
            try #require(made.stdout.split(separator: " ").last).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A request enqueueing one small job for `customer`.
    static func enqueue(_ base: URL, customer: String, key: String) -> URLRequest {
        var request = URLRequest(url: base.appendingPathComponent("api/queue/\(customer)"))
        request.httpMethod = "POST"
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(#"{"queue":"mail","type":"email.send","payload":{"n":1}}"#.utf8)
        return request
    }

    static func get(_ url: URL, _ path: String, key: String) async throws -> Int {
        var request = URLRequest(url: url.appendingPathComponent(path))
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    @Test("a first start prints an admin key once; it works; SIGTERM stops the server; a restart prints none")
    func firstStart() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (server, url) = try await Self.serve(cli)
        defer { server.stop() }
        let line = try #require(server.output.split(separator: "\n").first { $0.hasPrefix("admin key") })
        let key = String(try #require(line.split(separator: " ").last))
        #expect(APIKeySecret.lookupPrefix(of: key) != nil)
        #expect(try await Self.get(url, "api/admin/customers", key: key) == 200)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)

        let (again, url2) = try await Self.serve(cli)
        defer { again.stop() }
        #expect(!again.output.contains("admin key"), "the key is shown only once")
        #expect(try await Self.get(url2, "api/admin/customers", key: key) == 200, "and it still works")
        again.signal(SIGTERM)
        #expect(try await again.waitForExit() == 0)
    }

    @Test("CONVEYOR_ADMIN_KEY sets the admin key; a malformed one stops start-up with one sentence")
    func configuredAdminKey() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let key = APIKeySecret.generate(customer: nil).secret
        let (server, url) = try await Self.serve(cli, environment: ["CONVEYOR_ADMIN_KEY": key])
        defer { server.stop() }
        #expect(!server.output.contains("admin key"))
        #expect(try await Self.get(url, "api/admin/keys", key: key) == 200)
        server.signal(SIGTERM)
        _ = try await server.waitForExit()

        let bad = try await cli.run(["serve", "--port", "0"], environment: ["CONVEYOR_ADMIN_KEY": "hunter2"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("CONVEYOR_ADMIN_KEY must be a Conveyor key"), "\(bad.stderr)")
    }

    @Test(
        "RATE_LIMIT_REQUESTS and RATE_LIMIT_WINDOW set the default; customers set-limit gives one its own; bad settings stop start-up"
    )
    func rateLimits() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let acme = try await Self.customerKey(cli, "acme")
        #expect(try await cli.run(["customers", "create", "globex"]).status == 0)
        let own = try await cli.run(["customers", "set-limit", "globex", "--requests", "500", "--window", "30"])
        #expect(own.status == 0 && own.stdout.contains("500 requests per 30 s"), "\(own.stderr)")
        let listed = try await cli.run(["customers", "list"]).stdout
        #expect(listed.contains("500 per 30 s") && listed.contains("default"))
        #expect(try await cli.run(["customers", "set-limit", "globex", "--default"]).stdout.contains("the default"))
        let zero = try await cli.run(["customers", "set-limit", "globex", "--requests", "0", "--window", "30"])
        #expect(zero.status == 1 && zero.stderr.contains("requests"), "\(zero.stderr)")
        #expect(try await cli.run(["customers", "set-limit", "globex", "--requests", "5"]).status != 0)

        let (server, url) = try await Self.serve(
            cli, environment: ["RATE_LIMIT_REQUESTS": "3", "RATE_LIMIT_WINDOW": "120"])
        defer { server.stop() }
        var statuses: [Int] = []
        var policy: String?
        for _ in 0..<4 {
            var request = URLRequest(url: url.appendingPathComponent("api/queue/acme"))
            request.setValue("Bearer \(acme)", forHTTPHeaderField: "Authorization")
            let (_, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            statuses.append(http.statusCode)
            policy = http.value(forHTTPHeaderField: "RateLimit-Policy")
        }
        #expect(statuses == [200, 200, 200, 429])
        #expect(policy == #""default";q=3;w=120"#)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)

        for (name, value) in [
            ("RATE_LIMIT_REQUESTS", "lots"), ("RATE_LIMIT_WINDOW", "0"), ("TRUSTED_PROXIES", "10.0.0.0/99"),
        ] {
            let bad = try await cli.run(["serve", "--port", "0"], environment: [name: value])
            #expect(bad.status == 1)
            #expect(bad.stderr.contains(name), "\(bad.stderr)")
        }
    }

    @Test("customers and keys are managed from the command line; a key is printed once and listed by prefix")
    func customersAndKeys() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        #expect(try await cli.run(["customers", "create", "acme"]).status == 0)
        let duplicate = try await cli.run(["customers", "create", "acme"])
        #expect(duplicate.status == 1)
        #expect(duplicate.stderr.contains("exists already"))
        #expect(try await cli.run(["customers", "create", "Bad Name"]).status == 1)
        #expect(try await cli.run(["customers", "list"]).stdout.contains("acme"))

        let made = try await cli.run(["keys", "create", "--customer", "acme"])
        #expect(made.status == 0)
        let secret = String(
            try #require(made.stdout.split(separator: " ").last).trimmingCharacters(in: .whitespacesAndNewlines))
        let id = try #require(made.stdout.split(separator: " ").dropFirst().first.map(String.init))
        #expect(APIKeySecret.lookupPrefix(of: secret) != nil)
        let listed = try await cli.run(["keys", "list"])
        #expect(listed.stdout.contains(String(secret.prefix(12))))
        #expect(!listed.stdout.contains(secret), "the key itself is never shown again")
        #expect(try await cli.run(["keys", "revoke", id]).status == 0)
        #expect(try await cli.run(["keys", "list", "--customer", "acme"]).stdout.contains("revoked"))
        let unknown = try await cli.run(["keys", "create", "--customer", "initech"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no customer named initech"))
        #expect(try await cli.run(["keys", "create"]).status != 0, "a key needs --customer or --admin")
    }
}
