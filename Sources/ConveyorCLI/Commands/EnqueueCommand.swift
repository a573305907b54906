import ArgumentParser
import ConveyorCore
import Foundation

/// `conveyor enqueue`: puts one job on a queue and prints it.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Put one job on a queue and print it as JSON.")

    @Option(help: "The customer the job belongs to.")
    var customer: String

    @Option(help: "The queue to put it on.")
    var queue: String

    @Option(help: "The job type, which selects the handler.")
    var type: String

    @Option(help: "The job's JSON payload, or - to read it from standard input.")
    var payload: String

    @Option(help: "Seconds to wait before the job may run.")
    var delay: Double?

    @Option(help: "0 (runs first, the default) to 9 (runs last).")
    var priority: Int = 0

    @Option(help: "How many times the job may run before it is dead (1–100).")
    var maxAttempts: Int = NewJob.defaultMaxAttempts

    @Option(help: "Deduplicates: an unfinished job with this key on the same queue is returned instead.")
    var idempotencyKey: String?

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        // Everything is validated before the database is opened, so bad input writes nothing.
        // Bytes, not a String: decoding standard input as text would replace invalid UTF-8 silently.
        let payloadBytes = payload == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile()) : Array(payload.utf8)
        let request = try await failing {
            try NewJob(
                customer: customer, queue: queue, type: type, payload: JobPayload(json: payloadBytes),
                priority: priority,
                start: delay.map { .after(.milliseconds(Int64(($0 * 1000).rounded()))) } ?? .now,
                maxAttempts: maxAttempts, idempotencyKey: idempotencyKey)
        }
        let store = try await database.open(mustExist: false)
        let result = try await failing { try await store.enqueue(request) }
        try JobPrinter.json(result.job)
    }
}
