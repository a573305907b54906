import ConveyorCore
import ConveyorMaintenance
import ConveyorTestSupport
import Foundation
import Logging
import MetricsTestKit
import ServiceLifecycle
import Testing

/// Alert delivery against a real HTTP receiver on loopback standing in for Slack.
@Suite("Alert delivery to a Slack webhook")
struct AlertDispatcherTests {
    static let alert = Alert(
        rule: .newDeadLetters, customer: "acme", queue: "mail", observed: 12, threshold: 10, unit: "dead jobs",
        topErrors: ["smtp timeout (×9)", "bad address (×3)"])

    /// A running dispatcher posting to `webhook`, with fast retries, and what it counts and logs.
    struct Running {
        let dispatcher: AlertDispatcher
        let metrics: TestMetrics
        let log: CapturedLog
        let group: ServiceGroup
        let task: Task<Void, any Error>

        static func start(_ webhook: URL?, maxAttempts: Int = 5) -> Running {
            var configuration = AlertDispatcher.Configuration(webhook: webhook)
            configuration.backoff = .milliseconds(20)
            configuration.maxAttempts = maxAttempts
            configuration.requestTimeout = .seconds(5)
            let metrics = TestMetrics()
            let log = CapturedLog()
            let dispatcher = AlertDispatcher(
                configuration: configuration, metrics: ConveyorMetrics(factory: metrics), logger: log.logger)
            let group = ServiceGroup(services: [dispatcher], logger: Logger(label: "test"))
            return Running(
                dispatcher: dispatcher, metrics: metrics, log: log, group: group, task: Task { try await group.run() })
        }

        func count(_ label: String) -> Int64 {
            (try? metrics.expectCounter(label, [("rule", "new_dead_letters")]).totalValue) ?? 0
        }
        var sent: Int64 { count(ConveyorMetrics.Name.alertsSent) }
        var failed: Int64 { count(ConveyorMetrics.Name.alertsFailed) }

        func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
    }

    @Test(
        "a delivered alert is Slack JSON: a text fallback and blocks with the rule, where, counts, errors and how to replay"
    )
    func success() async throws {
        let slack = try await SlackReceiver.start()
        let running = Running.start(slack.webhook)
        running.dispatcher.send(.firing(Self.alert))
        try await poll("the alert to be delivered") { running.sent == 1 }
        let post = try #require(slack.posts.first)
        #expect(post.text == "[Conveyor] 12 jobs died in acme/mail in the last interval (threshold 10)")
        let blocks = try #require(post.json["blocks"] as? [[String: Any]])
        let rendered = String(decoding: post.body, as: UTF8.self)
        #expect(blocks.first?["type"] as? String == "header")
        for expected in [
            "new_dead_letters", "acme/mail", "*Observed*\\n12 dead jobs", "*Threshold*\\n10 dead jobs",
            "smtp timeout (×9)", "conveyor dlq replay --all --customer acme --queue mail",
        ] {
            #expect(rendered.contains(expected), "\(expected) in \(rendered)")
        }
        #expect(running.log.count("alert: 12 jobs died in acme/mail", atLeast: .warning) == 1)
        await running.stop()
        await slack.stop()
    }

    @Test("a 429 is retried after its Retry-After, then delivered")
    func retryAfter() async throws {
        let slack = try await SlackReceiver.start(answering: [.init(status: 429, retryAfter: "1")])
        let running = Running.start(slack.webhook)
        running.dispatcher.send(.firing(Self.alert))
        try await poll("the alert to be delivered") { running.sent == 1 }
        let posts = slack.posts
        #expect(posts.count == 2)
        if posts.count == 2 { #expect(posts[1].at - posts[0].at >= .seconds(1), "Retry-After is honoured") }
        #expect(running.failed == 0)
        await running.stop()
        await slack.stop()
    }

    @Test("a 500 is retried with backoff, then delivered")
    func serverError() async throws {
        let slack = try await SlackReceiver.start(answering: [.init(status: 500), .init(status: 503)])
        let running = Running.start(slack.webhook)
        running.dispatcher.send(.firing(Self.alert))
        try await poll("the alert to be delivered") { running.sent == 1 }
        #expect(slack.posts.count == 3 && running.failed == 0)
        #expect(running.log.count("alert delivery failed; retrying") == 2)
        await running.stop()
        await slack.stop()
    }

    @Test("a 400 is given up at once, logged and counted")
    func refused() async throws {
        let slack = try await SlackReceiver.start(answering: [.init(status: 400)])
        let running = Running.start(slack.webhook)
        running.dispatcher.send(.firing(Self.alert))
        try await poll("the alert to be given up") { running.failed == 1 }
        #expect(slack.posts.count == 1 && running.sent == 0)
        #expect(running.log.count("HTTP 400; not retried", atLeast: .error) == 1)
        await running.stop()
        await slack.stop()
    }

    @Test("a receiver that is down is retried up to the attempt limit, then given up, logged and counted")
    func receiverDown() async throws {
        let slack = try await SlackReceiver.start()
        let webhook = slack.webhook
        await slack.stop()
        let running = Running.start(webhook, maxAttempts: 3)
        running.dispatcher.send(.firing(Self.alert))
        try await poll("the alert to be given up") { running.failed == 1 }
        #expect(running.sent == 0)
        #expect(running.log.count("alert delivery failed; retrying") == 2)
        #expect(running.log.count("could not be delivered after 3 attempts", atLeast: .error) == 1)
        await running.stop()
    }

    @Test("without a webhook, alerts go to the log only; send never waits for delivery")
    func logOnly() async throws {
        let running = Running.start(nil)
        let start = ContinuousClock.now
        running.dispatcher.send(.firing(Self.alert))
        running.dispatcher.send(.resolved(Self.alert))
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(running.log.count("alert: 12 jobs died", atLeast: .warning) == 1)
        #expect(running.log.count("alert resolved: new_dead_letters in acme/mail", atLeast: .notice) == 1)
        #expect(running.sent == 0 && running.failed == 0)
        await running.stop()
    }
}
