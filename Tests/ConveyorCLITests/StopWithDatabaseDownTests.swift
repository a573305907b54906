import ConveyorCore
import ConveyorPostgres
import ConveyorTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Every long-running `conveyor` process, told to stop while its PostgreSQL is down, exits within
/// the bound its help states — it neither waits for the database to come back nor hangs on a call
/// the database never answers. One cluster of the test's own, stopped under each process in turn
/// and started again for the next: one cluster and one process at a time add little to the load
/// of the suites running beside it.
@Suite(
    "Stopping with the database down",
    .enabled(if: ThrowawayPostgres.binaries != nil, "needs scripts/test's PostgreSQL binaries"))
struct StopWithDatabaseDownTests {
    /// Slack for a loaded machine on top of each stated bound.
    static let margin = Duration.seconds(4)

    /// Sends SIGTERM and returns the exit status and how long the exit took.
    func stop(_ process: RunningConveyor, within bound: Duration) async throws -> (Int32, Duration) {
        let started = ContinuousClock.now
        process.signal()
        do {
            let status = try await process.waitForExit(timeout: bound + Self.margin)
            return (status, ContinuousClock.now - started)
        } catch {
            Issue.record("still running \(bound + Self.margin) after SIGTERM: \(process.output)")
            throw error
        }
    }

    @Test(
        "serve, work (idle, and with a program that ignores SIGTERM), monitor stale and monitor dlq each exit within their bound"
    )
    func everyProcess() async throws {
        let cluster = try await ThrowawayPostgres.start()
        do {
            try await serve(cluster)
            try await cluster.startServer()
            try await idleWorker(cluster)
            try await cluster.startServer()
            try await busyWorker(cluster)
            for kind in ["stale", "dlq"] {
                try await cluster.startServer()
                try await monitor(kind, cluster)
            }
        } catch {
            await cluster.remove()
            throw error
        }
        await cluster.remove()
    }

    /// serve: stopped during its drain with a request waiting on the database, it answers 503 and exits.
    func serve(_ cluster: ThrowawayPostgres) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let server = try cli.start(
            ["serve", "--port", "0"], environment: ["DATABASE_URL": cluster.url, "SHUTDOWN_DRAIN_SECONDS": "3"])
        defer { server.stop() }
        try await poll("the server to listen", timeout: .seconds(30)) { server.output.contains("listening on") }
        let address = try #require(server.output.firstMatch(of: /listening on (http:\S+)/).map { String($0.1) })
        let key = try #require(server.output.firstMatch(of: /(cvk_\w+)/).map { String($0.1) })
        try await cluster.stopServer()
        var request = URLRequest(url: URL(string: "\(address)/api/admin/customers")!)
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.timeoutInterval = 60
        let waiting = Task { try await URLSession.shared.data(for: request) }
        // The request is in flight (the key is checked against the stopped database first).
        try await Task.sleep(for: .milliseconds(300))
        // The README's bound: the drain (3 s), then 15 s for what is in flight — the request's wait
        // for a connection (10 s) and the services' stops, each bounded. Alone it takes about 11 s;
        // beside the whole suite it has taken over 15.
        let (status, took) = try await stop(server, within: .seconds(18))
        #expect(status == 0, "\(server.output)")
        let (_, response) = try await waiting.value
        #expect((response as? HTTPURLResponse)?.statusCode == 503, "the request was answered, not dropped")
        #expect(took >= .seconds(3), "the drain is kept")
        print("serve stopped \(took) after SIGTERM with PostgreSQL down")
    }

    /// work, with nothing running: it exits within seconds of SIGTERM.
    func idleWorker(_ cluster: ThrowawayPostgres) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let worker = try cli.start(["work", "--queue", "q", "--", "true"], environment: ["DATABASE_URL": cluster.url])
        defer { worker.stop() }
        try await poll("the worker to start", timeout: .seconds(30)) { worker.output.contains("worker started") }
        try await cluster.stopServer()
        // A claim in flight gets 2 s, deregistering 2 s.
        let (status, took) = try await stop(worker, within: .seconds(4))
        #expect(status == 0, "\(worker.output)")
        print("idle worker stopped \(took) after SIGTERM with PostgreSQL down")
    }

    /// work, with a program that ignores SIGTERM: it exits within --shutdown-timeout + --kill-after + 5 s.
    func busyWorker(_ cluster: ThrowawayPostgres) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await PostgresJobStore.open(url: cluster.url)
        _ = try await store.enqueue(try NewJob(customer: "acme", queue: "busy", type: "t", payloadJSON: "{}"))
        store.close()
        let started = cli.directory.appendingPathComponent("started").path
        let worker = try cli.start(
            [
                "work", "--queue", "busy", "--shutdown-timeout", "2", "--kill-after", "1", "--",
                "sh", "-c", "touch \(started); trap '' TERM; sleep 60",
            ], environment: ["DATABASE_URL": cluster.url])
        defer { worker.stop() }
        try await poll("the job to start", timeout: .seconds(30)) { FileManager.default.fileExists(atPath: started) }
        try await cluster.stopServer()
        let (status, took) = try await stop(worker, within: .seconds(2 + 1 + 5))
        #expect(status == 0, "\(worker.output)")
        #expect(took >= .seconds(2), "the job had its shutdown timeout")
        print("busy worker stopped \(took) after SIGTERM with PostgreSQL down")
    }

    /// monitor stale and monitor dlq: each exits promptly.
    func monitor(_ kind: String, _ cluster: ThrowawayPostgres) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let monitor = try cli.start(
            ["monitor", kind], environment: ["DATABASE_URL": cluster.url, "STALE_INTERVAL_SECONDS": "0.5"])
        defer { monitor.stop() }
        try await poll("the monitor to lead", timeout: .seconds(30)) { monitor.output.contains("became the leader") }
        try await cluster.stopServer()
        // At most a pass waiting for a connection (10 s).
        let (status, took) = try await stop(monitor, within: .seconds(10))
        #expect(status == 0, "\(monitor.output)")
        print("monitor \(kind) stopped \(took) after SIGTERM with PostgreSQL down")
    }
}
