import ConveyorCore
import ConveyorTestSupport
import Foundation
import Testing

/// `conveyor schedules` as an operator runs it, on one SQLite file.
@Suite("conveyor schedules")
struct SchedulesCLITests {
    @Test("schedules create/show/update/pause/resume/run/delete manage one schedule; bad input says what is wrong")
    func manage() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        #expect(try await cli.run(["customers", "create", "acme"]).status == 0)
        let made = try await cli.run([
            "schedules", "create", "--customer", "acme", "nightly", "--cron", "0 3 * * *", "--timezone",
            "Europe/Berlin", "--queue", "reports", "--type", "report.build", "--payload", #"{ "user": 42 }"#,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("every day at 03:00, Europe/Berlin") && made.stdout.contains(#"{ "user": 42 }"#))
        let bad = try await cli.run([
            "schedules", "create", "--customer", "acme", "hourly", "--cron", "0 25 * * *", "--queue", "reports",
            "--type", "report.build",
        ])
        #expect(bad.status == 1 && bad.stderr.contains("the hour field's 25 is out of 0–23"), "\(bad.stderr)")

        let changed = try await cli.run(["schedules", "update", "--customer", "acme", "nightly", "--cron", "@hourly"])
        #expect(changed.status == 0 && changed.stdout.contains("\"@hourly\""), "\(changed.stderr)")
        #expect(try await cli.run(["schedules", "pause", "--customer", "acme", "nightly"]).stdout.contains("paused"))
        #expect(try await cli.run(["schedules", "resume", "--customer", "acme", "nightly"]).stdout.contains("next "))
        let run = try await cli.run(["schedules", "run", "--customer", "acme", "nightly"])
        #expect(run.status == 0 && run.stdout.hasPrefix("made job "), "\(run.stderr)")
        let shown = try await cli.run(["schedules", "show", "--customer", "acme", "nightly"])
        #expect(shown.stdout.contains("last tick: ") && shown.stdout.contains("(available)"), "\(shown.stdout)")
        #expect(try await cli.run(["schedules", "delete", "--customer", "acme", "nightly"]).status == 0)
        let gone = try await cli.run(["schedules", "show", "--customer", "acme", "nightly"])
        #expect(gone.status == 1 && gone.stderr.contains("no schedule named nightly"))
    }

    @Test("schedules apply makes a customer's schedules match a file, idempotently; --prune deletes the rest")
    func apply() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        #expect(try await cli.run(["customers", "create", "acme"]).status == 0)
        #expect(
            try await cli.run([
                "schedules", "create", "--customer", "acme", "legacy", "--cron", "@daily", "--queue", "old", "--type",
                "old.job",
            ]).status == 0)
        let file = cli.directory.appendingPathComponent("schedules.json")
        func write(_ cron: String) throws {
            try Data(
                """
                {"schedules": [
                  {"name": "nightly", "cron": "\(cron)", "timezone": "Europe/Berlin", "queue": "reports",
                   "type": "report.build", "payload": {"kind": "daily"}},
                  {"name": "heartbeat", "cron": "@every 30s", "missed": "skip", "queue": "ops", "type": "ops.ping",
                   "payload": null}
                ]}
                """.utf8
            ).write(to: file)
        }
        try write("0 3 * * *")
        let first = try await cli.run(["schedules", "apply", file.path, "--customer", "acme"])
        #expect(first.stdout.contains("acme: 2 made, 0 changed, 0 unchanged, 0 deleted"), "\(first.stderr)")
        let again = try await cli.run(["schedules", "apply", file.path, "--customer", "acme"])
        #expect(again.stdout.contains("acme: 0 made, 0 changed, 2 unchanged, 0 deleted"), "\(again.stderr)")
        try write("0 4 * * *")
        let pruned = try await cli.run(["schedules", "apply", file.path, "--customer", "acme", "--prune"])
        #expect(pruned.stdout.contains("acme: 0 made, 1 changed, 1 unchanged, 1 deleted"), "\(pruned.stderr)")
        let listed = try await cli.run(["schedules", "list", "--customer", "acme"])
        #expect(listed.stdout.contains("\"0 4 * * *\"") && !listed.stdout.contains("legacy"), "\(listed.stdout)")

        try write("0 4 * * FRI-MON")
        let refused = try await cli.run(["schedules", "apply", file.path, "--customer", "acme", "--prune"])
        #expect(refused.status == 1 && refused.stderr.contains("schedules[0].cron"), "\(refused.stderr)")
        #expect(
            try await cli.run(["schedules", "list", "--customer", "acme"]).stdout == listed.stdout, "nothing changed")
    }
}
