import ArgumentParser
import ConveyorCore

/// `conveyor jobs`: looks at jobs.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List and show jobs.",
        subcommands: [List.self, Show.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")

        @OptionGroup var filters: FilterOptions

        @Option(help: "Only jobs in this state (scheduled, available, running, retryable, completed, dead, cancelled).")
        var state: String?

        @OptionGroup var page: PageOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let states = try state.map { text throws(CommandFailure) -> [JobState] in
                guard let state = JobState(rawValue: text) else {
                    throw CommandFailure(
                        "state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")) (got \(text.debugDescription))"
                    )
                }
                return [state]
            }
            let query = try page.query(try filters.filter(states: states))
            let store = try await database.open(mustExist: true)
            let result = try await failing { try await store.list(query) }
            if page.json {
                try JobPrinter.json(result)
            } else {
                JobPrinter.table(result, command: "conveyor jobs list")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job as JSON, with its error history.")

        @Argument(help: "The job id.")
        var id: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let jobID = try JobID.argument(id)
            let store = try await database.open(mustExist: true)
            guard let job = try await failing({ try await store.job(id: jobID) }) else {
                throw CommandFailure(JobStoreError.notFound(id: jobID))
            }
            try JobPrinter.json(job)
        }
    }
}
