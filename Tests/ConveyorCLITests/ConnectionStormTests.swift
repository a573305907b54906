import ConveyorCore
@_spi(Testing) import ConveyorPostgres
import ConveyorTestSupport
import Foundation
import Testing

/// Workers alone, with PostgreSQL dropping their connections over and over: no completion is lost
/// for good. Outcomes whose write failed are retried with their lease token; whatever still slips
/// through is rescued by the maintenance the workers themselves campaign for.
@Suite("conveyor work: a storm of dropped connections")
struct ConnectionStormTests {
    @Test(
        "two workers drain 5,000 jobs while every one of their connections is killed four times a second, with no serve or monitor running",
        .enabled(
            if: ProcessInfo.processInfo.environment["CONVEYOR_TEST_POSTGRES_URL"] != nil,
            "needs scripts/test's PostgreSQL"))
    func storm() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (url, store, drop) = try await ClusterTests.database(.postgres, in: cli)
        let postgres = try #require(store as? PostgresJobStore)
        let total = 5_000
        for start in stride(from: 0, to: total, by: 1000) {
            _ = try await store.enqueue(
                batch: try (start..<start + 1000).map {
                    try NewJob(customer: "acme", queue: "storm", type: "t", payloadJSON: "{\"n\":\($0)}")
                })
        }
        let names = (0..<2).map { "storm-\($0)-\(UUID().uuidString.prefix(8))" }
        // A short lease and a fast rescuer, so that a completion lost for good costs seconds, not minutes.
        let workers = try names.map { name in
            try cli.start(
                ["work", "--queue", "storm", "--concurrency", "4", "--lease", "3", "--print"],
                environment: [
                    "DATABASE_URL": url, "PGAPPNAME": name, "STALE_INTERVAL_SECONDS": "0.5", "STALE_GRACE_SECONDS": "0",
                    "LOG_LEVEL": "info",
                ])
        }
        defer { workers.forEach { $0.stop() } }
        func completed() async throws -> Int {
            try await store.counts(customer: "acme").first { $0.queue == "storm" }?.counts[.completed] ?? 0
        }
        try await poll("the drain to get going", timeout: .seconds(120), every: .milliseconds(50)) {
            try await completed() > 0
        }
        // Bounded: at most 10 s of killing, four times a second, only the workers' connections.
        var killed = 0
        let stormEnds = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < stormEnds, try await completed() < total {
            let list = names.map { "'\($0)'" }.joined(separator: ",")
            killed += try await postgres.scalarStrings(
                "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE application_name IN (\(list))"
            ).count
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(killed > 0, "the storm killed connections")
        try await poll("every job to complete", timeout: .seconds(180), every: .milliseconds(500)) {
            try await completed() == total
        }
        let counts = try #require(try await store.counts(customer: "acme").first { $0.queue == "storm" })
        #expect(counts.counts == [.completed: total], "enqueued = completed, nothing left running")
        let log = workers.map(\.output).joined()
        let retried = log.components(separatedBy: "writing an outcome failed; retrying").count - 1
        // `--print` writes a line per run: the ids say which jobs ran more than once (at least
        // once is the promise; a lost completion costs a rerun, not a job).
        let runs = log.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
        }
        #expect(Set(runs).count == total, "every job ran")
        Swift.print(
            "connection storm: \(killed) connections killed, \(retried) outcome writes retried, \(runs.count - Set(runs).count) reruns"
        )
        for worker in workers { worker.signal(SIGTERM) }
        for (index, worker) in workers.enumerated() {
            let status = try? await worker.waitForExit(timeout: .seconds(60))
            let lines = worker.output.split(separator: "\n").filter {
                !$0.hasPrefix("{") && !$0.contains("job completed")
            }
            try? lines.joined(separator: "\n").write(
                toFile: "/tmp/stormworker-\(index).log", atomically: true, encoding: .utf8)
            #expect(status == 0, "\(lines.suffix(40).joined(separator: "\n"))")
        }
        await drop()
    }
}
