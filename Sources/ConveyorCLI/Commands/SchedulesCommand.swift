import ArgumentParser
import ConveyorCore
import Foundation

/// `conveyor schedules`: customers' recurring jobs, as the operator manages them on the database
/// (the same rules as the API), and `apply`, which makes a customer's schedules match a file kept
/// in version control.
struct SchedulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "Create, list, show, change, delete, pause, resume and run schedules; apply a file of them.",
        subcommands: [
            Create.self, List.self, Show.self, Update.self, Delete.self, Pause.self, Resume.self, Run.self, Apply.self,
        ])

    static func line(_ schedule: Schedule) -> String {
        let state = schedule.paused ? "paused" : "next \(schedule.nextTickAt.formatted(.iso8601))"
        return
            "\(schedule.customer) \(schedule.name) \"\(schedule.cron.text)\" \(schedule.timezone) → \(schedule.job.queue)/\(schedule.job.type) \(state)"
    }

    static func details(_ schedule: Schedule) -> [String] {
        var lines = [
            line(schedule), "  \(schedule.described); missed ticks: \(schedule.missed.rawValue)",
            "  job: queue \(schedule.job.queue), type \(schedule.job.type), priority \(schedule.job.priority), max attempts \(schedule.job.maxAttempts), payload \(schedule.job.payload.text)",
        ]
        if !schedule.paused {
            let next =
                [schedule.nextTickAt]
                + schedule.cron.nextTicks(after: schedule.nextTickAt, in: schedule.zone, count: 4)
            lines.append("  next: " + next.map { $0.formatted(.iso8601) }.joined(separator: ", "))
        }
        if let tick = schedule.lastTick {
            let outcome =
                tick.skipped.map { "skipped: \($0)" }
                ?? "job \(tick.jobID?.description ?? "?") (\(tick.jobState?.rawValue ?? "gone"))"
            lines.append("  last tick: \(tick.at.formatted(.iso8601)) → \(outcome)")
        }
        return lines
    }

    /// Pauses or resumes the target and prints it.
    static func set(_ target: Target, paused: Bool, on database: DatabaseOptions) async throws {
        let store = try await database.open(mustExist: true)
        let schedule = try await failing {
            try await store.pauseSchedule(customer: target.customer, name: target.name, paused: paused)
        }
        print(line(schedule))
    }

    /// The schedule's customer and name.
    struct Target: ParsableArguments {
        @Option(help: "The schedule's customer.")
        var customer: String

        @Argument(help: "The schedule's name.")
        var name: String
    }

    /// A schedule's expression, zone, policy and job, each optional (for `update`).
    struct Members: ParsableArguments {
        @Option(help: "A cron expression (5 or 6 fields), @daily-like macro or @every interval.")
        var cron: String?

        @Option(help: "An IANA time zone (default UTC).")
        var timezone: String?

        @Option(help: "What missed ticks make: skip (default), once or all.")
        var missed: String?

        @Option(help: "The queue of the jobs it makes.")
        var queue: String?

        @Option(help: "The type of the jobs it makes.")
        var type: String?

        @Option(help: "The jobs' payload, a JSON document, kept byte for byte.")
        var payload: String?

        @Option(help: "The jobs' priority, 0 (first) to 9.")
        var priority: Int?

        @Option(help: "The jobs' maximum attempts.")
        var maxAttempts: Int?

        func change() throws(ConveyorCore.ValidationError) -> ScheduleChange {
            ScheduleChange(
                cron: cron, timezone: timezone, missed: missed, queue: queue, type: type,
                payload: try payload.map { text throws(ConveyorCore.ValidationError) in try JobPayload(json: text) },
                priority: priority, maxAttempts: maxAttempts)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a schedule.")

        @OptionGroup var target: Target
        @OptionGroup var members: Members
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let draft = try await failing {
                guard let cron = members.cron, let queue = members.queue, let type = members.type else {
                    throw CommandFailure("create needs --cron, --queue and --type")
                }
                return try ScheduleDraft(
                    customer: target.customer, name: target.name, cron: cron, timezone: members.timezone,
                    missed: members.missed, queue: queue, type: type,
                    payload: try JobPayload(json: members.payload ?? "{}"), priority: members.priority,
                    maxAttempts: members.maxAttempts)
            }
            let store = try await database.open(mustExist: true)
            let schedule = try await failing { try await store.createSchedule(draft) }
            for line in SchedulesCommand.details(schedule) { print(line) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List schedules.")

        @Option(help: "Only this customer's schedules.")
        var customer: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let schedules = try await failing { try await store.schedules(customer: customer) }
            for schedule in schedules { print(SchedulesCommand.line(schedule)) }
            if schedules.isEmpty { print("(no schedules)") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a schedule: its next ticks and its last.")

        @OptionGroup var target: Target
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let schedule = try await failing { try await store.schedule(customer: target.customer, name: target.name) }
            for line in SchedulesCommand.details(schedule) { print(line) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a schedule; what is not given is kept.")

        @OptionGroup var target: Target
        @OptionGroup var members: Members
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let change = try await failing { try members.change() }
            let store = try await database.open(mustExist: true)
            let schedule = try await failing {
                let current = try await store.schedule(customer: target.customer, name: target.name)
                return try await store.updateSchedule(try change.draft(applyingTo: current))
            }
            for line in SchedulesCommand.details(schedule) { print(line) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a schedule (the jobs it made stay).")

        @OptionGroup var target: Target
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            try await failing { try await store.deleteSchedule(customer: target.customer, name: target.name) }
            print("deleted schedule \(target.name) of \(target.customer)")
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a schedule: no jobs, no missed ticks.")

        @OptionGroup var target: Target
        @OptionGroup var database: DatabaseOptions

        func run() async throws { try await SchedulesCommand.set(target, paused: true, on: database) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a schedule from its next tick after now.")

        @OptionGroup var target: Target
        @OptionGroup var database: DatabaseOptions

        func run() async throws { try await SchedulesCommand.set(target, paused: false, on: database) }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the schedule's job now.")

        @OptionGroup var target: Target
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let job = try await failing { try await store.runSchedule(customer: target.customer, name: target.name) }
            print("made job \(job.id) on \(job.queue) (\(job.type))")
        }
    }
}
