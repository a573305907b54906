import ConveyorCore
import Foundation

/// JobPrinter writes jobs to standard output: as JSON for programs, as an aligned table for people.
enum JobPrinter {
    /// One job as pretty JSON, the same shape the HTTP API uses.
    static func json(_ job: Job) throws {
        try write(JSONEncoder.conveyor(pretty: true).encode(job))
    }

    /// A page as `{"jobs": […], "next_cursor": …}`.
    static func json(_ page: JobPage) throws {
        struct Listing: Encodable {
            let jobs: [Job]
            let nextCursor: String?
            enum CodingKeys: String, CodingKey {
                case jobs
                case nextCursor = "next_cursor"
            }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(jobs, forKey: .jobs)
                try container.encode(nextCursor, forKey: .nextCursor)
            }
        }
        try write(JSONEncoder.conveyor(pretty: true).encode(Listing(jobs: page.jobs, nextCursor: page.nextCursor)))
    }

    /// A page as a table, with how to get the next page.
    static func table(_ page: JobPage, command: String) {
        let header = ["ID", "CUSTOMER", "QUEUE", "TYPE", "STATE", "ATTEMPT", "RUN AT", "LAST ERROR"]
        let rows = page.jobs.map { job in
            [
                job.id.description, job.customer, job.queue, job.type,
                job.state.rawValue + (job.deadReason.map { " (\($0.rawValue))" } ?? ""),
                "\(job.attempt)/\(job.maxAttempts)", job.runAt.formatted(Date.ISO8601FormatStyle()),
                String((job.errors.last?.message ?? "").prefix(40)),
            ]
        }
        print(aligned([header] + rows))
        if page.jobs.isEmpty { print("(no jobs)") }
        if let cursor = page.nextCursor { print("more: \(command) --cursor \(cursor)") }
    }

    /// Rows as columns separated by two spaces.
    static func aligned(_ rows: [[String]]) -> String {
        let widths = rows.reduce(into: [Int](repeating: 0, count: rows.first?.count ?? 0)) { widths, row in
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    private static func write(_ data: Data) {
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

extension JobID {
    /// Parses a job id given on the command line.
    static func argument(_ text: String) throws(CommandFailure) -> JobID {
        guard let id = JobID(text) else { throw CommandFailure("\(text.debugDescription) is not a job id (a UUID)") }
        return id
    }
}
