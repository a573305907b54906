import ArgumentParser
import ConveyorCore

/// `conveyor jobs`: looks at jobs.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List and show jobs, and count them per customer and queue.",
        subcommands: [List.self, Show.self, Cancel.self, Counts.self]
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

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a job that has not finished; a running one's worker stops it (at once on PostgreSQL).")

        @Argument(help: "The job id.")
        var id: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let jobID = try JobID.argument(id)
            let store = try await database.open(mustExist: true)
            let cancelled = try await failing { try await store.cancel(id: jobID) }
            try JobPrinter.json(cancelled)
        }
    }

    struct Counts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count the jobs of each customer's queue by state, with what holds its claims back.",
            discussion: """
                PAUSED says whether claims skip the customer's jobs there (conveyor pause); MAX RUNNING \
                is the tightest concurrency cap on them (conveyor cap), if any.
                """)

        @Option(help: "Only this customer's queues.")
        var customer: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let (counts, pauses, caps) = try await failing {
                (try await store.counts(customer: customer), try await store.pauses(), try await store.caps())
            }
            let states: [JobState] = [.scheduled, .available, .running, .retryable, .completed, .dead, .cancelled]
            let rows = counts.map { share in
                let paused = pauses.contains { $0.holds(queue: share.queue, customer: share.customer) }
                let cap = caps.filter { $0.binds(queue: share.queue, customer: share.customer) }.map(\.maxRunning).min()
                return [share.customer, share.queue] + states.map { "\(share.counts[$0] ?? 0)" } + [
                    paused ? "yes" : "no", cap.map { "\($0)" } ?? "-",
                ]
            }
            let header = ["CUSTOMER", "QUEUE"] + states.map { $0.rawValue.uppercased() } + ["PAUSED", "MAX RUNNING"]
            print(JobPrinter.aligned([header] + rows))
            if counts.isEmpty { print("(no jobs)") }
        }
    }
}
