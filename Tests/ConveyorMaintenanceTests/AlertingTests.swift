import ConveyorCore
import ConveyorMaintenance
import ConveyorTestSupport
import Foundation
import Testing

@Suite("Alert rules, deduplication and Slack messages")
struct AlertingTests {
    static let now = Date(unixMilliseconds: 1_800_000_000_000)
    static let since = now.addingTimeInterval(-60)

    /// A job of `queue` that failed with `message` at `failedAt` and is now `state`.
    static func failed(
        _ queue: String, _ message: String, state: JobState = .dead, at failedAt: Date = now.addingTimeInterval(-1)
    ) throws -> Job {
        var job = Job(
            accepting: try NewJob(customer: "acme", queue: queue, type: "t", payloadJSON: "{}", maxAttempts: 1),
            id: .generate(at: failedAt), at: failedAt.addingTimeInterval(-10))
        try job.claim(token: "tok", workerID: nil, lease: .seconds(30), at: failedAt.addingTimeInterval(-5))
        if message == Job.staleErrorMessage {
            try job.rescueStale(policy: RetryPolicy(), unitRandom: 0, at: failedAt)
        } else {
            try job.fail(
                token: "tok", message: message, retryable: state != .dead, policy: RetryPolicy(), unitRandom: 0,
                at: failedAt)
        }
        return job
    }

    @Test("each rule fires strictly over its threshold; new dead jobs per queue with their top errors")
    func rules() throws {
        var thresholds = AlertThresholds()
        thresholds.deadLetters = 3
        thresholds.newDeadLetters = 2
        thresholds.oldestAvailableSeconds = 60
        thresholds.staleRescues = 1
        let failures = [
            try Self.failed("mail", "smtp timeout"), try Self.failed("mail", "smtp timeout"),
            try Self.failed("mail", "bad address"), try Self.failed("sms", "no credit"),
            try Self.failed("sms", "no credit"),
            // Before the window: not new.
            try Self.failed("mail", "old", at: Self.since.addingTimeInterval(-1)),
            try Self.failed("push", Job.staleErrorMessage), try Self.failed("push", Job.staleErrorMessage),
        ]
        let backlogs = [
            QueueBacklog(customer: "acme", queue: "mail", ready: 5, oldestReadySince: Self.now.addingTimeInterval(-61)),
            QueueBacklog(customer: "acme", queue: "sms", ready: 5, oldestReadySince: Self.now.addingTimeInterval(-60)),
        ]
        let alerts = AlertConditions.evaluate(
            deadLetters: 4, recentFailures: failures, since: Self.since, backlogs: backlogs, thresholds: thresholds,
            at: Self.now)
        #expect(
            alerts.map(\.key) == [
                "dead_letters", "new_dead_letters:acme/mail", "oldest_available:acme/mail", "stale_rescues",
            ])
        let mail = try #require(alerts.first { $0.rule == .newDeadLetters })
        #expect(mail.observed == 3 && mail.topErrors == ["smtp timeout (×2)", "bad address (×1)"])
        #expect(alerts.first { $0.rule == .staleRescues }?.observed == 2)
        // At the thresholds exactly, nothing fires.
        let quiet = AlertConditions.evaluate(
            deadLetters: 3, recentFailures: Array(failures.prefix(2)), since: Self.since, backlogs: [backlogs[1]],
            thresholds: thresholds, at: Self.now)
        #expect(quiet.isEmpty)
        // Off: never.
        var off = thresholds
        off.deadLetters = nil
        #expect(
            AlertConditions.evaluate(
                deadLetters: 1_000_000, recentFailures: [], since: Self.since, backlogs: [], thresholds: off,
                at: Self.now
            ).isEmpty)
    }

    @Test("a firing alert is sent once per cooldown; a cleared one sends one resolved notice")
    func dedupe() {
        var tracker = AlertTracker()
        let alert = Alert(rule: .deadLetters, observed: 120, threshold: 100, unit: "dead jobs")
        let cooldown = Duration.seconds(600)
        #expect(tracker.update([alert], cooldown: cooldown, at: Self.now) == [.firing(alert)])
        #expect(tracker.update([alert], cooldown: cooldown, at: Self.now.addingTimeInterval(599)).isEmpty)
        #expect(tracker.update([alert], cooldown: cooldown, at: Self.now.addingTimeInterval(600)) == [.firing(alert)])
        #expect(tracker.update([], cooldown: cooldown, at: Self.now.addingTimeInterval(601)) == [.resolved(alert)])
        #expect(tracker.update([], cooldown: cooldown, at: Self.now.addingTimeInterval(602)).isEmpty)
        #expect(tracker.firingKeys.isEmpty)
    }

    @Test("ALERT_* settings override the defaults; off turns a rule off; bad values name the setting")
    func environment() throws {
        let thresholds = try AlertThresholds(
            settings: Settings(environment: [
                "ALERT_DEAD_LETTERS": "off", "ALERT_NEW_DEAD_LETTERS": "3", "DLQ_MONITOR_INTERVAL_SECONDS": "10",
                "ALERT_COOLDOWN_SECONDS": "120",
            ]))
        #expect(thresholds.deadLetters == nil && thresholds.newDeadLetters == 3)
        #expect(thresholds.interval == .seconds(10) && thresholds.cooldown == .seconds(120))
        #expect(thresholds.staleRescues == AlertThresholds().staleRescues)
        for (name, value) in [("ALERT_STALE_RESCUES", "-1"), ("DLQ_MONITOR_INTERVAL_SECONDS", "0")] {
            do {
                _ = try AlertThresholds(settings: Settings(environment: [name: value]))
                Issue.record("\(name)=\(value) was accepted")
            } catch {
                #expect(error.field == name)
            }
        }
    }

    @Test("a resolved notice says so and leaves out errors and the replay hint")
    func resolvedMessage() throws {
        let alert = Alert(
            rule: .newDeadLetters, customer: "acme", queue: "mail", observed: 12, threshold: 10, unit: "dead jobs",
            topErrors: ["<boom> & more (×2)"])
        let firing = String(decoding: SlackMessage.payload(for: .firing(alert)), as: UTF8.self)
        #expect(firing.contains("&lt;boom&gt; &amp; more"), "mrkdwn is escaped")
        let resolved = try #require(
            try JSONSerialization.jsonObject(with: SlackMessage.payload(for: .resolved(alert))) as? [String: Any])
        #expect(resolved["text"] as? String == "[Conveyor] resolved: new_dead_letters in acme/mail no longer holds")
        let text = String(decoding: SlackMessage.payload(for: .resolved(alert)), as: UTF8.self)
        #expect(!text.contains("boom") && !text.contains("To replay"))
    }
}
