import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

/// The event stream across processes, as a customer meets it: `curl -N` on one `conveyor serve`,
/// while other processes — `conveyor enqueue`, `conveyor work` — change the job.
@Suite("conveyor serve: job events made by other processes")
struct EventStreamCLITests {
    @Test(
        "a stream on serve carries the events of a job enqueued and run by other processes, the result included; after a restart of serve, Last-Event-ID resumes with what it missed",
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
        defer { if curl.isRunning { curl.terminate() } }
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
        curl.terminate()

        // The server restarts; what happened while it was down reaches a client that resumes.
        let lastSeen = try #require(Self.ids(text()).last)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0, "\(server.output)")
        let later = try await cli.run(
            ["enqueue", "--customer", "acme", "--queue", "reports", "--type", "report.build", "--payload", "{}"],
            environment: env)
        let laterID = try #require(try later.json()["id"] as? String)
        #expect(try await cli.run(["jobs", "cancel", laterID], environment: env).status == 0)
        let (restarted, again) = try await ServeCommandTests.serve(cli, environment: env)
        defer { restarted.stop() }
        let resumed = cli.directory.appendingPathComponent("resumed.txt")
        try Data().write(to: resumed)
        let resuming = Process()
        resuming.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        resuming.arguments = [
            "-sN", "-H", "Authorization: Bearer \(key)", "-H", "Last-Event-ID: \(lastSeen)",
            again.appendingPathComponent("api/queue/acme/events").absoluteString,
        ]
        resuming.standardOutput = try FileHandle(forWritingTo: resumed)
        try resuming.run()
        defer { resuming.terminate() }
        func resumedText() -> String { (try? String(contentsOf: resumed, encoding: .utf8)) ?? "" }
        try await poll("the missed events") { resumedText().contains("event: job.cancelled") }
        let missed = resumedText().components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }
        #expect(missed == ["event: job.enqueued", "event: job.cancelled"], "\(resumedText())")
        #expect(resumedText().contains(#""job_id":"\#(laterID)""#))
        #expect(Self.ids(resumedText()).allSatisfy { !Self.ids(text()).contains($0) }, "nothing twice")
        await drop()
    }

    /// The event ids of a stream's text, in order.
    static func ids(_ text: String) -> [String] {
        text.components(separatedBy: "\n").filter { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) }
    }
}
