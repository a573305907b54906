import ArgumentParser
import ConveyorCore
import Foundation

/// The target both `conveyor pause` and `conveyor resume` name.
struct PauseTarget: ParsableArguments {
    @Option(help: "The queue (with --customer: only that customer's jobs on it).")
    var queue: String?

    @Option(help: "The customer (alone: all of its queues).")
    var customer: String?

    var described: String {
        switch (queue, customer) {
        case (let queue?, let customer?): "queue \(queue) of customer \(customer)"
        case (let queue?, nil): "queue \(queue) for every customer"
        case (nil, let customer?): "every queue of customer \(customer)"
        case (nil, nil): "nothing"
        }
    }
}

/// `conveyor pause`: stop claims, keep enqueues and running jobs.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract:
            "Stop claims on a queue, on one customer's queue, or on a whole customer; --list shows what is paused.",
        discussion: """
            Enqueues are still accepted and running jobs finish; workers on every host stop claiming \
            at their next claim. conveyor resume lifts it.
                conveyor pause --queue mail                  (every customer's mail)
                conveyor pause --queue mail --customer acme  (acme's mail only)
                conveyor pause --customer acme               (all of acme's queues)
            """)

    @OptionGroup var target: PauseTarget

    @Flag(help: "List the pauses instead.")
    var list = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if list {
            guard target.queue == nil, target.customer == nil else {
                throw ValidationError("--list takes no --queue or --customer")
            }
        } else if target.queue == nil, target.customer == nil {
            throw ValidationError("name a --queue, a --customer, or both (or --list)")
        }
    }

    func run() async throws {
        let store = try await database.open(mustExist: !list)
        if list {
            let pauses = try await failing { try await store.pauses() }
            let rows = pauses.map {
                [$0.queue ?? "(every)", $0.customer ?? "(every)", $0.pausedAt.formatted(Date.ISO8601FormatStyle())]
            }
            print(JobPrinter.aligned([["QUEUE", "CUSTOMER", "PAUSED AT"]] + rows))
            if pauses.isEmpty { print("(nothing is paused)") }
            return
        }
        _ = try await failing { try await store.pause(queue: target.queue, customer: target.customer) }
        print("paused \(target.described): no new claims until conveyor resume")
    }
}

/// `conveyor resume`: lift a pause.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Lift a pause made by conveyor pause, with the same --queue and --customer.")

    @OptionGroup var target: PauseTarget

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if target.queue == nil, target.customer == nil {
            throw ValidationError("name a --queue, a --customer, or both, as it was paused")
        }
    }

    func run() async throws {
        let store = try await database.open(mustExist: true)
        let lifted = try await failing { try await store.resume(queue: target.queue, customer: target.customer) }
        print(lifted ? "resumed \(target.described)" : "\(target.described) was not paused")
    }
}
