import ArgumentParser
import ConveyorCore

/// FilterOptions are the filters shared by the listing and dead-letter commands.
struct FilterOptions: ParsableArguments {
    @Option(help: "Only this customer's jobs.")
    var customer: String?

    @Option(help: "Only jobs on this queue.")
    var queue: String?

    @Option(help: "Only jobs of this type.")
    var type: String?

    /// The filter, validated; `states` narrows it further.
    func filter(states: [JobState]? = nil) throws(CommandFailure) -> JobFilter {
        do {
            return try JobFilter(customer: customer, queue: queue, states: states, type: type)
        } catch {
            throw CommandFailure(error)
        }
    }
}

/// PageOptions choose one page of a listing.
struct PageOptions: ParsableArguments {
    @Option(help: "How many jobs to show (1–1000).")
    var limit: Int = 50

    @Option(help: "Continue after this cursor (printed at the end of the previous page).")
    var cursor: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func query(_ filter: JobFilter) throws(CommandFailure) -> JobQuery {
        do {
            return try JobQuery(filter: filter, limit: limit, cursor: cursor)
        } catch {
            throw CommandFailure(error)
        }
    }
}
