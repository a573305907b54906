import ConveyorCore
import ConveyorSQLite
import Foundation
import GRDB
import Testing

/// `conveyor bench` as an operator runs it, tiny: the figures are not checked (speed is measured,
/// not asserted), only that every target did its work.
@Suite("conveyor bench")
struct BenchCLITests {
    @Test("bench http loads every target, the bare insert included, and each target's requests are committed")
    func http() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let bench = try await cli.run([
            "bench", "http", "--connections", "2", "--requests", "100", "--runs", "1",
            "--database", cli.defaultDatabase,
        ])
        #expect(bench.status == 0, "\(bench.stderr)")
        let lines = bench.stdout.split(separator: "\n")
        for target in ["bare route", "bare insert", "enqueue (POST", "enqueue behind the rate limiter", "paired"] {
            #expect(lines.contains { $0.contains(target) && $0.contains("→ median") }, "no \(target) line")
        }
        #expect(!bench.stdout.contains("failed"), "\(bench.stdout)")
        #expect(bench.stdout.contains("behind the rate limiter / bare insert:"))
        // Two connections of 50 requests for each of the bare insert, both enqueue targets and the
        // paired run: 400 jobs, the bare insert's 100 among them.
        let database = try DatabaseQueue(path: cli.defaultDatabase)
        let jobs = try await database.read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM jobs WHERE queue = 'bench-http'") ?? 0
        }
        #expect(jobs == 400)
    }

    @Test("bench events drains with and without a stream per customer and times every drain event's delivery")
    func events() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        // Flat out, then at a steady pace with the worker on a store of its own (another node).
        for (extra, how) in [
            ([], "enqueued first, drained flat out"),
            (["--rate", "400", "--nodes", "2"], "enqueued at 400 a second while drained"),
        ] {
            let bench = try await cli.run(
                [
                    "bench", "events", "--subscribers", "4", "--jobs", "40", "--runs", "1", "--database",
                    cli.defaultDatabase,
                ]
                    + extra)
            #expect(bench.status == 0, "\(bench.stderr)")
            #expect(
                bench.stdout.contains("drain of 40 jobs over 4 customers (\(how)), no stream open → median"),
                "\(bench.stdout)")
            #expect(bench.stdout.contains("the same with 4 event streams open, one per customer → median"))
            // Every job's start and completion reached its customer's stream.
            #expect(bench.stdout.contains("event delivery (stamped → received), 80 events → p50"), "\(bench.stdout)")
            // Read from the events' own times: a misread time would be off by hours or years.
            let p99 = try #require(bench.stdout.firstMatch(of: /p99 ([0-9.]+) ms/).flatMap { Double($0.1) })
            #expect(p99 < 60_000)
        }
    }

    @Test("bench cancel stops every kind of worker's attempts, each cancelled job left cancelled with no outcome")
    func cancel() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let bench = try await cli.run([
            "bench", "cancel", "--jobs", "3", "--lease", "1", "--heartbeat", "0.2", "--database", cli.defaultDatabase,
        ])
        #expect(bench.status == 0, "\(bench.stderr)")
        for kind in ["Swift handler", "program (conveyor work)", "HTTP worker"] {
            let line = try Regex(NSRegularExpression.escapedPattern(for: kind) + ".*, 3 jobs → p50 [0-9.]+ ms p99")
            #expect(bench.stdout.contains(line), "\(bench.stdout)")
        }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let jobs = try await store.list(JobQuery(filter: try JobFilter(customer: "bench-cancel"), limit: 100)).jobs
        #expect(jobs.count == 9 && jobs.allSatisfy { $0.state == .cancelled && $0.errors.isEmpty }, "\(jobs)")
    }

    @Test("bench store's rate-limit scenario spends each key's quota, never past it")
    func rateLimit() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let bench = try await cli.run([
            "bench", "store", "--scenarios", "rate-limit", "--quota", "10", "--jobs", "40", "--concurrency", "2",
            "--runs", "1", "--database", cli.defaultDatabase,
        ])
        #expect(bench.status == 0, "\(bench.stderr)")
        #expect(bench.stdout.contains("rate-limit: 40 decisions, all allowed, 2 clients, quota 10 per 60 s → median"))
        // Twenty requests per client, each key spent to its quota of ten and then a fresh one.
        let database = try DatabaseQueue(path: cli.defaultDatabase)
        let windows = try await database.read {
            try Int.fetchAll($0, sql: "SELECT in_window FROM rate_limit_requests WHERE key LIKE 'client:bench-%'")
        }
        #expect(windows == [10, 10, 10, 10])
        #expect(try await cli.run(["bench", "store", "--scenarios", "rate-limit", "--quota", "1000001"]).status != 0)
    }
}
