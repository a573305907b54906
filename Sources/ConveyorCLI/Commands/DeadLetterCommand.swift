import ArgumentParser
import ConveyorCore
import Foundation

/// `conveyor dlq`: inspects the dead-letter queue, replays and purges dead jobs.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect, replay and purge dead jobs.",
        subcommands: [List.self, Replay.self, Purge.self, Prune.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dead jobs, newest first, with their last error.")

        @OptionGroup var filters: FilterOptions
        @OptionGroup var page: PageOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let query = try page.query(try filters.filter(states: [.dead]))
            let store = try await database.open(mustExist: true)
            let result = try await failing { try await store.list(query) }
            if page.json { try JobPrinter.json(result) } else { JobPrinter.table(result, command: "conveyor dlq list") }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move dead jobs back to available with a fresh attempt budget.",
            discussion: "Name job ids, or pass --all with optional filters. Named ids are replayed all or none.")

        @OptionGroup var selection: SelectionOptions
        @OptionGroup var database: DatabaseOptions

        @Option(
            help: "Make at most this many replayed jobs available a second (the rest are scheduled for their turn).")
        var perSecond: Double?

        func run() async throws {
            let selection = try selection.selection()
            if let perSecond, !(perSecond.isFinite && perSecond > 0 && perSecond <= 10_000) {
                throw CommandFailure("--per-second must be a number above 0, at most 10000")
            }
            let store = try await database.open(mustExist: true)
            var count = 0
            // A filter's jobs go in calls of at most a thousand, each its own transaction.
            var next: DeadLetterSelection? = selection
            while let current = next {
                let batch = try await failing { try await store.replay(current, perSecond: perSecond) }
                for job in batch.jobs { print("replayed \(job.id) (\(job.customer)/\(job.queue) \(job.type))") }
                count += batch.jobs.count
                next = current.continued(after: batch)
            }
            print("\(count) job\(count == 1 ? "" : "s") replayed")
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete dead jobs for good.",
            discussion: "Name job ids, or pass --all with optional filters. Named ids are purged all or none.")

        @OptionGroup var selection: SelectionOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let selection = try selection.selection()
            let store = try await database.open(mustExist: true)
            var count = 0
            var next: DeadLetterSelection? = selection
            while let current = next {
                let batch = try await failing { try await store.purge(current) }
                count += batch.jobs.count
                next = current.continued(after: batch)
            }
            print("\(count) job\(count == 1 ? "" : "s") purged")
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Apply the retention policy now: delete finished jobs past their age, dead jobs past their age or count.",
            discussion: """
                Keeps completed and cancelled jobs RETENTION_COMPLETED_HOURS / RETENTION_CANCELLED_HOURS \
                (default 24), dead jobs RETENTION_DEAD_DAYS (default 7) and at most RETENTION_DEAD_MAX \
                (default 10000, the oldest deaths go first). conveyor serve and conveyor monitor dlq do \
                this by themselves every RETENTION_INTERVAL_SECONDS (default 300).
                """)

        @Option(help: "Keep dead jobs this many days (default: RETENTION_DEAD_DAYS, else 7).")
        var deadDays: Double?

        @Option(help: "Keep at most this many dead jobs (default: RETENTION_DEAD_MAX, else 10000).")
        var deadMax: Int?

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if let deadDays, !(deadDays.isFinite && deadDays >= 0) {
                throw ArgumentParser.ValidationError("--dead-days must be 0 or more")
            }
            if let deadMax, deadMax < 0 { throw ArgumentParser.ValidationError("--dead-max must be 0 or more") }
        }

        func run() async throws {
            var policy = try await failing { try RetentionPolicy(settings: Settings()) }
            if let deadDays { policy.dead = .seconds(deadDays * 86_400) }
            if let deadMax { policy.deadMaxCount = deadMax }
            let store = try await database.open(mustExist: true)
            let report = try await failing { try await store.prune(policy) }
            print("pruned \(report.completed) completed, \(report.cancelled) cancelled, \(report.dead) dead jobs")
        }
    }

    /// SelectionOptions pick the dead jobs a replay or purge acts on.
    struct SelectionOptions: ParsableArguments {
        @Argument(help: "Ids of dead jobs.")
        var ids: [String] = []

        @Flag(help: "Every dead job matching the filters.")
        var all = false

        @OptionGroup var filters: FilterOptions

        @Option(help: "With --all: only jobs whose last error contains this text (any case).")
        var error: String?

        @Option(help: "With --all: only jobs that died at or after this time (RFC 3339, e.g. 2026-11-29T10:00:00Z).")
        var diedAfter: String?

        @Option(help: "With --all: only jobs that died before this time (RFC 3339).")
        var diedBefore: String?

        /// Ids or `--all` with filters, never both and never neither: a bare `replay` doing
        /// everything would be too easy to type by mistake.
        func selection() throws(CommandFailure) -> DeadLetterSelection {
            switch (ids.isEmpty, all) {
            case (false, false):
                guard filters.customer == nil, filters.queue == nil, filters.type == nil, error == nil,
                    diedAfter == nil, diedBefore == nil
                else {
                    throw CommandFailure(
                        "--customer, --queue, --type, --error, --died-after and --died-before narrow --all; they cannot be combined with job ids"
                    )
                }
                return .ids(try ids.map { text throws(CommandFailure) in try JobID.argument(text) })
            case (true, true):
                func time(_ text: String?, _ option: String) throws(CommandFailure) -> Date? {
                    guard let text else { return nil }
                    guard let date = Date(rfc3339: text) else {
                        throw CommandFailure(
                            "\(option) must be an RFC 3339 time such as 2026-11-29T10:00:00Z (got \(text))")
                    }
                    return date
                }
                let filter = try filters.filter()
                let after = try time(diedAfter, "--died-after")
                let before = try time(diedBefore, "--died-before")
                do {
                    return .matching(
                        try DeadLetterFilter(filter, errorContains: error, diedAfter: after, diedBefore: before))
                } catch {
                    throw CommandFailure(error)
                }
            case (false, true):
                throw CommandFailure("give job ids or --all, not both")
            case (true, false):
                throw CommandFailure(
                    "give the ids of dead jobs, or --all (with --customer, --queue or --type to narrow it)")
            }
        }
    }
}
