import ArgumentParser
import ConveyorCore

/// `conveyor dlq`: inspects the dead-letter queue, replays and purges dead jobs.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect, replay and purge dead jobs.",
        subcommands: [List.self, Replay.self, Purge.self]
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

        func run() async throws {
            let selection = try selection.selection()
            let store = try await database.open(mustExist: true)
            let replayed = try await failing { try await store.replay(selection) }
            for job in replayed { print("replayed \(job.id) (\(job.customer)/\(job.queue) \(job.type))") }
            print("\(replayed.count) job\(replayed.count == 1 ? "" : "s") replayed")
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
            let count = try await failing { try await store.purge(selection) }
            print("\(count) job\(count == 1 ? "" : "s") purged")
        }
    }

    /// SelectionOptions pick the dead jobs a replay or purge acts on.
    struct SelectionOptions: ParsableArguments {
        @Argument(help: "Ids of dead jobs.")
        var ids: [String] = []

        @Flag(help: "Every dead job matching the filters.")
        var all = false

        @OptionGroup var filters: FilterOptions

        /// Ids or `--all` with filters, never both and never neither: a bare `replay` doing
        /// everything would be too easy to type by mistake.
        func selection() throws(CommandFailure) -> DeadLetterSelection {
            switch (ids.isEmpty, all) {
            case (false, false):
                guard filters.customer == nil, filters.queue == nil, filters.type == nil else {
                    throw CommandFailure(
                        "--customer, --queue and --type narrow --all; they cannot be combined with job ids")
                }
                return .ids(try ids.map { text throws(CommandFailure) in try JobID.argument(text) })
            case (true, true):
                return .matching(try filters.filter())
            case (false, true):
                throw CommandFailure("give job ids or --all, not both")
            case (true, false):
                throw CommandFailure(
                    "give the ids of dead jobs, or --all (with --customer, --queue or --type to narrow it)")
            }
        }
    }
}
