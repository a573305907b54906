import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The probes, metrics and logs of real `conveyor` processes.
@Suite("conveyor serve and work: health, metrics and logs")
struct ObservabilityCLITests {
    static func fetch(_ url: URL, key: String? = nil) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: url)
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test(
        "serve answers /livez, /readyz, /api/health and /metrics, leads the monitors; LOG_LEVEL=debug logs each enqueue with its job; bad HEALTH_* settings stop start-up"
    )
    func serve() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let admin = APIKeySecret.generate(customer: nil).secret
        let acme = try await ServeCommandTests.customerKey(cli, "acme")
        let (server, url) = try await ServeCommandTests.serve(
            cli,
            environment: [
                "CONVEYOR_ADMIN_KEY": admin, "LOG_LEVEL": "debug", "ALERT_OLDEST_AVAILABLE_SECONDS": "0",
                "DLQ_MONITOR_INTERVAL_SECONDS": "0.2",
            ])
        defer { server.stop() }
        #expect(try await Self.fetch(url.appendingPathComponent("livez")).status == 200)
        #expect(try await Self.fetch(url.appendingPathComponent("readyz")).status == 200)
        let (_, response) = try await URLSession.shared.data(
            for: ServeCommandTests.enqueue(url, customer: "acme", key: acme))
        #expect((response as? HTTPURLResponse)?.statusCode == 201)

        let health = try await Self.fetch(url.appendingPathComponent("api/health"), key: admin)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any])
        let checks = try #require(report["checks"] as? [String: [[String: Any]]], "\(health.body)")
        // serve campaigns for maintenance itself: its leader is this very process.
        let leader = try #require(checks["maintenance:leader"]?.first)
        try await poll("serve to lead maintenance") {
            let again = try await Self.fetch(url.appendingPathComponent("api/health"), key: admin).body
            return again.contains(":\(server.process.processIdentifier)/")
        }
        #expect(leader["componentId"] as? String == "stale-job-rescuer")
        #expect((checks["queue:depth"]?.first?["observedValue"] as? Int) == 1, "\(health.body)")

        let metrics = try await Self.fetch(url.appendingPathComponent("metrics"), key: admin)
        #expect(metrics.status == 200)
        #expect(
            metrics.body.contains(#"conveyor_jobs_enqueued_total{customer="acme",queue="mail"} 1"#), "\(metrics.body)")
        #expect(metrics.body.contains(#"conveyor_queue_depth{customer="acme",queue="mail"} 1"#))
        #expect(try await Self.fetch(url.appendingPathComponent("metrics"), key: acme).status == 403)

        // serve leads the dead-letter monitor too: the waiting job trips the (zero) age rule.
        try await poll("serve's dead-letter monitor to alert") {
            server.output.contains("alert: the oldest ready job in acme/mail")
        }
        try await poll("the enqueue's debug line") { server.output.contains("job enqueued") }
        let line = try #require(server.output.split(separator: "\n").first { $0.contains("job enqueued") })
        #expect(line.contains("customer=acme") && line.contains("queue=mail") && line.contains("job_id="), "\(line)")
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)

        let bad = try await cli.run(["serve", "--port", "0"], environment: ["HEALTH_STALE_JOBS_WARN": "lots"])
        #expect(bad.status == 1 && bad.stderr.contains("HEALTH_STALE_JOBS_WARN"), "\(bad.stderr)")
    }

    @Test("work --metrics-port serves the jobs it ran at /metrics; its log line names the job")
    func workerMetrics() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let enqueued = try await cli.run([
            "enqueue", "--customer", "acme", "--queue", "mail", "--type", "t", "--payload", "{}",
        ])
        #expect(enqueued.status == 0, "\(enqueued.stderr)")
        // A job's completion is logged at debug: a successful job logs nothing at the default level.
        let worker = try cli.start(
            ["work", "--queue", "mail", "--print", "--metrics-port", "0"], environment: ["LOG_LEVEL": "debug"])
        defer { worker.stop() }
        var url: URL?
        try await poll("the metrics endpoint") {
            let line = worker.output.split(separator: "\n").first { $0.hasPrefix("metrics on ") }
            url = line.flatMap { URL(string: String($0.dropFirst("metrics on ".count))) }
            return url != nil || !worker.process.isRunning
        }
        let endpoint = try #require(url, "\(worker.output)")
        #expect(endpoint.host == "127.0.0.1", "unkeyed, its labels name customers: loopback unless told otherwise")
        try await poll("the job to be run and counted") {
            try await Self.fetch(endpoint).body.contains(
                #"conveyor_jobs_completed_total{customer="acme",queue="mail"} 1"#)
        }
        let scrape = try await Self.fetch(endpoint).body
        let livez = try await Self.fetch(endpoint.deletingLastPathComponent().appendingPathComponent("livez"))
        #expect(livez.status == 200 && livez.body == #"{"status":"pass"}"#, "the container health check")
        #expect(
            scrape.contains(#"conveyor_job_run_duration_seconds_count{customer="acme",queue="mail"} 1"#), "\(scrape)")
        let line = try #require(worker.output.split(separator: "\n").first { $0.contains("job completed") })
        #expect(line.contains("customer=acme") && line.contains("queue=mail") && line.contains("worker_id="), "\(line)")
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
    }

    @Test(
        "monitor dlq alerts to the log without SLACK_WEBHOOK_URL; a bad ALERT_* setting or webhook stops it with one sentence"
    )
    func deadLetterMonitor() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let enqueued = try await cli.run([
            "enqueue", "--customer", "acme", "--queue", "reports", "--type", "t", "--payload", "{}",
        ])
        #expect(enqueued.status == 0, "\(enqueued.stderr)")
        let monitor = try cli.start(
            ["monitor", "dlq"],
            environment: ["ALERT_OLDEST_AVAILABLE_SECONDS": "0", "DLQ_MONITOR_INTERVAL_SECONDS": "0.2"])
        defer { monitor.stop() }
        try await poll("the alert in the log") {
            monitor.output.contains("alert: the oldest ready job in acme/reports")
        }
        let line = try #require(monitor.output.split(separator: "\n").first { $0.contains("alert: ") })
        #expect(line.contains("warning") && line.contains("rule=oldest_available"), "\(line)")
        monitor.signal(SIGTERM)
        #expect(try await monitor.waitForExit() == 0)

        for (name, value) in [("ALERT_NEW_DEAD_LETTERS", "some"), ("SLACK_WEBHOOK_URL", "hooks.slack.com/x")] {
            let bad = try await cli.run(["monitor", "dlq"], environment: [name: value])
            #expect(bad.status == 1 && bad.stderr.contains(name), "\(bad.stderr)")
        }
    }
}
