import ConveyorCore
import ConveyorMaintenance
import ConveyorTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The dead-letter monitor on real stores, alerting a real loopback receiver.
@Suite("Dead-letter monitor")
struct DeadLetterMonitorTests {
    static func thresholds() -> AlertThresholds {
        var thresholds = AlertThresholds()
        thresholds.deadLetters = 1
        thresholds.newDeadLetters = 1
        thresholds.oldestAvailableSeconds = 30
        thresholds.staleRescues = 0
        thresholds.cooldown = .seconds(600)
        return thresholds
    }

    @Test(
        "each rule alerts Slack once; while it holds, nothing more within the cooldown; once cleared, a resolved notice",
        arguments: TestEngine.available)
    func rules(_ engine: TestEngine) async throws {
        let clock = TestClock()
        let (store, remove) = try await engine.openStore(clock: clock)
        let h = StoreHarness(store: store, clock: clock)
        let slack = try await SlackReceiver.start()
        var configuration = AlertDispatcher.Configuration(webhook: slack.webhook)
        configuration.backoff = .milliseconds(20)
        let dispatcher = AlertDispatcher(configuration: configuration, logger: Logger(label: "test"))
        let group = ServiceGroup(services: [dispatcher], logger: Logger(label: "test"))
        let delivering = Task { try await group.run() }
        let monitor = DeadLetterMonitor(
            store: store, dispatcher: dispatcher, thresholds: Self.thresholds(), clock: clock)

        let start = clock.now()
        try await h.enqueue(queue: "waiting")
        clock.advance(by: .seconds(1))
        for message in ["smtp timeout", "smtp timeout"] {
            try await h.enqueue(queue: "mail", maxAttempts: 1)
            let job = try await h.claimOne(queues: ["mail"])
            _ = try await store.fail(try #require(job.lease), message: message, retryable: false)
        }
        try await h.enqueue(queue: "push")
        _ = try await h.claimOne(queues: ["push"], lease: .seconds(5))
        clock.advance(by: .seconds(60))
        #expect(try await store.rescueStaleJobs(grace: .zero).count == 1)

        var tracker = AlertTracker()
        let first = try await monitor.look(since: start, now: clock.now(), tracker: &tracker)
        #expect(
            first.map(\.alert.key) == [
                "dead_letters", "new_dead_letters:acme/mail", "oldest_available:acme/waiting", "stale_rescues",
            ])
        try await poll("four alerts at Slack") { slack.posts.count == 4 }
        let texts = slack.posts.map(\.text)
        #expect(texts.contains("[Conveyor] 2 jobs died in acme/mail in the last interval (threshold 1)"), "\(texts)")
        #expect(texts.contains { $0.contains("1 jobs were rescued from dead workers") }, "\(texts)")
        let mail = try #require(slack.posts.first { $0.text.contains("acme/mail") })
        #expect(String(decoding: mail.body, as: UTF8.self).contains("smtp timeout (×2)"))

        // Ten seconds on: no new deaths or rescues (resolved); the DLQ and the wait still hold (quiet).
        let previous = clock.now()
        clock.advance(by: .seconds(10))
        let second = try await monitor.look(since: previous, now: clock.now(), tracker: &tracker)
        #expect(second == [.resolved(first[1].alert), .resolved(first[3].alert)])
        try await poll("two resolved notices at Slack") { slack.posts.count == 6 }
        #expect(slack.posts.suffix(2).allSatisfy { $0.text.contains("resolved") })

        await group.triggerGracefulShutdown()
        _ = try? await delivering.value
        await slack.stop()
        await remove()
    }

    @Test("as a service it leads and looks every interval; alerts reach the log without a webhook")
    func service() async throws {
        let (store, remove) = try await TestEngine.sqlite.openStore()
        let h = StoreHarness(store: store, clock: TestClock())
        try await h.enqueue(queue: "waiting")
        let log = CapturedLog()
        let dispatcher = AlertDispatcher(configuration: .init(), logger: log.logger)
        var thresholds = AlertThresholds()
        thresholds.oldestAvailableSeconds = 0
        // The first look comes at once; the interval is also the leader's renewal period (its SQLite
        // lease is three of them), which a loaded machine must be able to keep.
        thresholds.interval = .seconds(1)
        let (looks, looked) = AsyncStream.makeStream(of: [AlertNotification].self)
        let monitor = DeadLetterMonitor(
            store: store, dispatcher: dispatcher, thresholds: thresholds, logger: log.logger,
            onLook: { looked.yield($0) })
        let group = ServiceGroup(services: [dispatcher, monitor], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        var sent: [AlertNotification] = []
        for await notifications in looks {
            sent += notifications
            if !sent.isEmpty { break }
        }
        #expect(sent.map(\.alert.rule) == [.oldestAvailable])
        #expect(log.count("alert: the oldest ready job in acme/waiting", atLeast: .warning) == 1)
        // It looked as the leader. (Whether it still leads now depends on its renewals keeping up
        // on a loaded machine: a lease is three intervals.)
        #expect(log.count("became the leader", atLeast: .info) == 1)
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await remove()
    }
}
