import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

/// Cancelling a job that a program run by `conveyor work` in another process is running: the
/// program gets SIGTERM — pushed at once on PostgreSQL, at the next lease renewal on SQLite —,
/// SIGKILL after `--kill-after` if it ignores that, and nothing of the attempt is recorded.
@Suite("conveyor jobs cancel reaches a program run by another process")
struct CancelCLITests {
    @Test(
        "the program gets SIGTERM, then SIGKILL after --kill-after when it ignores it; the job stays cancelled with no error",
        arguments: ClusterTests.engines)
    func cancelReachesProgram(_ engine: ClusterTests.Engine) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (url, store, drop) = try await ClusterTests.database(engine, in: cli)
        let env = ["DATABASE_URL": url]
        let enqueued = try await cli.run(
            ["enqueue", "--customer", "acme", "--queue", "reports", "--type", "t", "--payload", "{}"], environment: env)
        let id = try #require(try enqueued.json()["id"] as? String)
        // A program that notes SIGTERM and goes on, so only SIGKILL ends it.
        let program = cli.directory.appendingPathComponent("stubborn.sh")
        try """
        #!/bin/sh
        trap 'echo TERM > "$(dirname "$0")/$CONVEYOR_JOB_ID.term"' TERM
        echo $$ > "$(dirname "$0")/$CONVEYOR_JOB_ID.started"
        while true; do sleep 0.05; done
        """.write(to: program, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
        // PostgreSQL: a ten-minute lease, renewed every 200 s — only the pushed cancel can stop the
        // program in time. SQLite has no push: a 3 s lease, renewed every second, brings the news.
        let lease = engine == .postgres ? "600" : "3"
        let worker = try cli.start(
            ["work", "--queue", "reports", "--lease", lease, "--kill-after", "1", "--", program.path],
            environment: env)
        defer { worker.stop() }
        let marker = { (suffix: String) in cli.directory.appendingPathComponent("\(id).\(suffix)") }
        try await poll("the program to start") { FileManager.default.fileExists(atPath: marker("started").path) }
        let pid = try #require(
            Int32(
                String(contentsOf: marker("started"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let cancelled = try await cli.run(["jobs", "cancel", id], environment: env)
        #expect(cancelled.status == 0, "\(cancelled.stderr)")
        #expect(try cancelled.json()["state"] as? String == "cancelled")
        try await poll("the program to get SIGTERM") { FileManager.default.fileExists(atPath: marker("term").path) }
        try await poll("the program to be killed") { kill(pid, 0) != 0 }
        let jobID = try #require(JobID(id))
        let stored = try #require(try await store.job(id: jobID))
        #expect(stored.state == .cancelled && stored.errors.isEmpty && stored.result == nil)
        #expect(worker.process.isRunning, "the worker goes on")
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0, "\(worker.output)")
        await drop()
    }
}
