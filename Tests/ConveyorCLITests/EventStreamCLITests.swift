import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

/// The event stream across processes, as a customer meets it: `curl -N` on one `conveyor serve`,
/// while other processes — `conveyor enqueue`, `conveyor work` — change the job.
@Suite("conveyor serve: job events made by other processes")
struct EventStreamCLITests {
    @Test(
        "a stream on serve carries the events of a job enqueued and run by other processes, the result included",
        arguments: ClusterTests.engines)
    func acrossProcesses(_ engine: ClusterTests.Engine) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (url, _, drop) = try await ClusterTests.database(engine, in: cli)
        let env = ["DATABASE_URL": url]
        let (server, base) = try await ServeCommandTests.serve(cli, environment: env)
        defer { server.stop() }
        let key = try await ServeCommandTests.customerKey(cli, "acme", environment: env)

        let received = cli.directory.appendingPathComponent("events.txt")
        try Data().write(to: received)
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = [
            "-sN", "-H", "Authorization: Bearer \(key)",
            base.appendingPathComponent("api/queue/acme/events").absoluteString,
        ]
        curl.standardOutput = try FileHandle(forWritingTo: received)
        try curl.run()
        defer { curl.terminate() }
        func text() -> String { (try? String(contentsOf: received, encoding: .utf8)) ?? "" }
        try await poll("the stream to open") { text().contains(": subscribed") }

        let enqueued = try await cli.run(
            ["enqueue", "--customer", "acme", "--queue", "reports", "--type", "report.build", "--payload", "{}"],
            environment: env)
        #expect(enqueued.status == 0, "\(enqueued.stderr)")
        let id = try #require(try enqueued.json()["id"] as? String)
        let program = cli.directory.appendingPathComponent("report.sh")
        try "#!/bin/sh\nprintf '{\"url\": \"/r/1\", \"pages\": 3.0}'\n".write(
            to: program, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
        let worker = try cli.start(
            ["work", "--queue", "reports", "--result", "stdout", "--", program.path], environment: env)
        defer { worker.stop() }
        try await poll("the completion to reach the stream") { text().contains("event: job.completed") }
        let events = text().components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }
        #expect(events == ["event: job.enqueued", "event: job.started", "event: job.completed"], "\(text())")
        #expect(text().contains(#""job_id":"\#(id)""#))
        #expect(text().contains(#""result":{"url": "/r/1", "pages": 3.0}"#), "\(text())")
        worker.signal(SIGTERM)
        _ = try await worker.waitForExit()
        await drop()
    }
}
