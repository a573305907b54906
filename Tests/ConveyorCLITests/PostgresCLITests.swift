import ConveyorCore
@_spi(Testing) import ConveyorPostgres
import ConveyorTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The same commands with `DATABASE_URL=postgres://…`: one database of its own per test, on the
/// throwaway server `scripts/test` starts.
@Suite(
    "conveyor on PostgreSQL",
    .enabled(
        if: ProcessInfo.processInfo.environment["CONVEYOR_TEST_POSTGRES_URL"] != nil, "needs scripts/test's PostgreSQL")
)
struct PostgresCLITests {
    /// Creates a database and returns its URL.
    static func createDatabase() async throws -> (url: String, name: String) {
        let base = try #require(ProcessInfo.processInfo.environment["CONVEYOR_TEST_POSTGRES_URL"])
        let name = "cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        let admin = try await PostgresJobStore.open(
            url: base, options: PostgresJobStore.Options(migrate: false, maximumConnections: 1, listen: false).patient)
        defer { admin.close() }
        try await admin.execute("CREATE DATABASE \(name)")
        var components = try #require(URLComponents(string: base))
        components.path = "/\(name)"
        return (try #require(components.string), String(name))
    }

    static func dropDatabase(_ name: String) async {
        guard let base = ProcessInfo.processInfo.environment["CONVEYOR_TEST_POSTGRES_URL"],
            let admin = try? await PostgresJobStore.open(
                url: base, options: .init(migrate: false, maximumConnections: 1, listen: false))
        else { return }
        try? await admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        admin.close()
    }

    @Test("DATABASE_URL selects PostgreSQL for migrate, enqueue, work, jobs, dlq and workers")
    func wholeFlow() async throws {
        let (url, name) = try await Self.createDatabase()
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let env = ["DATABASE_URL": url]

        let migrated = try await cli.run(["migrate"], environment: env)
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(migrated.stdout.contains("applied 004_find_stale_jobs"))
        #expect(try await cli.run(["migrate"], environment: env).stdout.hasSuffix("is up to date\n"))
        #expect(!(try await cli.run(["migrate", "status"], environment: env).stdout.contains("pending")))

        var ids: [String] = []
        for n in 1...3 {
            let enqueued = try await cli.run(
                ["enqueue", "--customer", "acme", "--queue", "mail", "--type", "t", "--payload", "{\"n\":\(n)}"],
                environment: env)
            #expect(enqueued.status == 0, "\(enqueued.stderr)")
            ids.append(try #require(try enqueued.json()["id"] as? String))
        }
        let program = cli.directory.appendingPathComponent("ok.sh")
        try "#!/bin/sh\ncat > /dev/null\n".write(to: program, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
        let worker = try cli.start(
            ["work", "--queue", "mail", "--concurrency", "2", "--", program.path], environment: env)
        defer { worker.stop() }
        let store = try await PostgresJobStore.open(
            url: url, options: PostgresJobStore.Options(migrate: false, maximumConnections: 2).patient)
        defer { store.close() }
        try await poll("the jobs to complete") {
            try await store.counts(customer: "acme").first?.counts[.completed] == 3
        }
        #expect(try await store.workers().count == 1)
        let listed = try await cli.run(["jobs", "list", "--json", "--state", "completed"], environment: env)
        let jobs = try #require(try listed.json()["jobs"] as? [[String: Any]])
        #expect(Set(jobs.compactMap { $0["id"] as? String }) == Set(ids))
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0, "\(worker.output)")
        #expect(try await cli.run(["workers"], environment: env).stdout.contains("(no workers)"))
        #expect(try await cli.run(["dlq", "list"], environment: env).stdout.contains("(no jobs)"))
        await Self.dropDatabase(name)
    }

    @Test("an unreachable server or a bad URL stops a command with one sentence, password hidden")
    func unreachable() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let down = try await cli.run(
            ["jobs", "list"], environment: ["DATABASE_URL": "postgres://app:hunter2@127.0.0.1:1/jobs"])
        #expect(down.status != 0)
        #expect(
            down.stderr.hasPrefix("error: cannot reach the PostgreSQL server at postgres://app:***@127.0.0.1:1/jobs"))
        #expect(!down.stderr.contains("hunter2"))
        #expect(down.stderr.split(separator: "\n").count == 1)
        let bad = try await cli.run(
            ["jobs", "list"], environment: ["DATABASE_URL": "postgres://app@127.0.0.1:5432/jobs?sslmode=sometimes"])
        #expect(
            bad.stderr
                == "error: DATABASE_URL has an unknown sslmode sometimes (postgres://app@127.0.0.1:5432/jobs?sslmode=sometimes)\n"
        )
    }

    @Test("conveyor serve on DATABASE_URL=postgres://…: what the API accepts, the CLI sees in the shared database")
    func serve() async throws {
        let (url, name) = try await Self.createDatabase()
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let env = ["DATABASE_URL": url]
        let key = try await ServeCommandTests.customerKey(cli, "acme", environment: env)
        let (server, base) = try await ServeCommandTests.serve(cli, environment: env)
        defer { server.stop() }
        let (body, response) = try await URLSession.shared.data(
            for: ServeCommandTests.enqueue(base, customer: "acme", key: key))
        #expect((response as? HTTPURLResponse)?.statusCode == 201)
        let id = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["id"] as? String)
        let shown = try await cli.run(["jobs", "show", id], environment: env)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(try shown.json()["queue"] as? String == "mail")
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        await Self.dropDatabase(name)
    }

    @Test("two conveyor serve processes on one PostgreSQL share one quota: of 105 concurrent enqueues exactly 100 pass")
    func sharedQuota() async throws {
        let (url, name) = try await Self.createDatabase()
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        // The database decides every request: a generous timeout keeps a loaded machine from sending
        // some to each node's in-memory fallback (its overshoot is documented and tested apart).
        let env = ["DATABASE_URL": url, "RATE_LIMIT_STORE_TIMEOUT_MS": "30000"]
        let key = try await ServeCommandTests.customerKey(cli, "acme", environment: env)
        let (first, firstURL) = try await ServeCommandTests.serve(cli, environment: env)
        defer { first.stop() }
        let (second, secondURL) = try await ServeCommandTests.serve(cli, environment: env)
        defer { second.stop() }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<105 {
                group.addTask {
                    let request = ServeCommandTests.enqueue(
                        index.isMultiple(of: 2) ? firstURL : secondURL, customer: "acme", key: key)
                    let (_, response) = try await URLSession.shared.data(for: request)
                    return (response as? HTTPURLResponse)?.statusCode ?? 0
                }
            }
            return try await group.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
        }
        #expect(statuses == [201: 100, 429: 5])
        let store = try await PostgresJobStore.open(
            url: url, options: PostgresJobStore.Options(migrate: false, maximumConnections: 1, listen: false).patient)
        #expect(try await store.counts(customer: "acme").flatMap(\.counts.values).reduce(0, +) == 100)
        store.close()
        first.signal(SIGTERM)
        second.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)
        #expect(try await second.waitForExit() == 0)
        await Self.dropDatabase(name)
    }
}
