import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

/// `conveyor webhooks` and `conveyor work --webhooks` as an operator runs them: real processes on
/// one SQLite file, a real receiver (Python's http.server) on loopback.
@Suite("conveyor webhooks")
struct WebhooksCLITests {
    /// A receiver answering 204 to every POST and writing each as a JSON line to `file`.
    static let receiver = """
        import http.server, json, sys
        port, path = int(sys.argv[1]), sys.argv[2]
        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                with open(path, "a") as out:
                    out.write(json.dumps({"id": self.headers["webhook-id"], "signature": self.headers["webhook-signature"],
                                          "body": body.decode()}) + "\\n")
                self.send_response(204)
                self.end_headers()
            def log_message(self, *args):
                pass
        http.server.HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
        """

    @Test("webhooks create/list/update/rotate-secret/delete manage endpoints; work --webhooks delivers to them")
    func manageAndDeliver() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let port = try freeLoopbackPort()
        let received = cli.directory.appendingPathComponent("received.jsonl")
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", Self.receiver, String(port), received.path]
        python.standardOutput = FileHandle.nullDevice
        python.standardError = FileHandle.nullDevice
        try python.run()
        defer { kill(python.processIdentifier, SIGKILL) }
        let open = ["WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"]
        #expect(try await cli.run(["customers", "create", "acme"]).status == 0)

        let refused = try await cli.run([
            "webhooks", "create", "--customer", "acme", "--url", "http://127.0.0.1:\(port)/hook",
        ])
        #expect(refused.status == 1 && refused.stderr.contains("url must be an https:// URL"), "\(refused.stderr)")
        let made = try await cli.run(
            [
                "webhooks", "create", "--customer", "acme", "--url", "http://127.0.0.1:\(port)/hook", "--event",
                "job.enqueued",
            ], environment: open)
        #expect(made.status == 0, "\(made.stderr)")
        let id = try #require(made.stdout.split(separator: " ").first.map(String.init))
        #expect(id.hasPrefix("wh_") && made.stdout.contains("signing secret (shown once, keep it): whsec_"))
        let listed = try await cli.run(["webhooks", "list", "--customer", "acme"])
        #expect(
            listed.stdout.contains(id) && listed.stdout.contains("events=job.enqueued")
                && !listed.stdout.contains("whsec_"))

        // Were the receiver not listening yet, the delivery would be retried 5 s later.
        let worker = try cli.start(["work", "--webhooks", "--queue", "mail", "--print"], environment: open)
        defer { worker.stop() }
        let enqueued = try await cli.run([
            "enqueue", "--customer", "acme", "--queue", "reports", "--type", "report.build", "--payload", "{}",
        ])
        let job = try #require(try enqueued.json()["id"] as? String)
        var lines: [[String: Any]] = []
        try await poll("the delivery") {
            let text = (try? String(contentsOf: received, encoding: .utf8)) ?? ""
            lines = text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            return !lines.isEmpty
        }
        let body = try #require(lines[0]["body"] as? String)
        #expect(body.contains(#""type":"job.enqueued""#) && body.contains(job))
        #expect((lines[0]["signature"] as? String)?.hasPrefix("v1,") == true)
        try await poll("the attempt in the endpoint's log") {
            try await cli.run(["webhooks", "attempts", id]).stdout.contains("204")
        }

        let rotated = try await cli.run(["webhooks", "rotate-secret", id])
        #expect(rotated.status == 0 && rotated.stdout.contains("whsec_") && rotated.stdout.contains("signs too until"))
        let disabled = try await cli.run(["webhooks", "update", id, "--disable", "--event", "*"])
        #expect(
            disabled.status == 0 && disabled.stdout.contains("disabled: disabled by hand")
                && disabled.stdout.contains("events=*"))
        #expect(try await cli.run(["webhooks", "delete", id]).stdout.contains("deleted webhook endpoint \(id)"))
        let gone = try await cli.run(["webhooks", "delete", id])
        #expect(gone.status == 1 && gone.stderr.contains("no webhook endpoint with id \(id)"))
        worker.signal()
        #expect(try await worker.waitForExit() == 0, "\(worker.output)")
    }
}
