import ArgumentParser
import ConveyorCore
import Foundation

/// The target `conveyor pause`, `conveyor resume` and `conveyor cap` name.
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

/// `conveyor cap`: bound how many jobs run at once.
struct CapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cap",
        abstract:
            "Cap the jobs running at once on a queue, on one customer's queue, or of a whole customer; --list shows the caps.",
        discussion: """
            Counted by every claim on every host: workers leave a capped customer's jobs waiting (and \
            serve the others) until one of its running jobs finishes. Lowering a cap stops nothing that runs.
                conveyor cap --queue mail --max-running 20                  (all of mail)
                conveyor cap --queue mail --customer acme --max-running 5   (acme's mail)
                conveyor cap --customer acme --max-running 8                (acme on all queues)
                conveyor cap --customer acme --remove
            """)

    @OptionGroup var target: PauseTarget

    @Option(help: "The most jobs running at once, from 1 to 1000000.")
    var maxRunning: Int?

    @Flag(help: "Remove the cap instead.")
    var remove = false

    @Flag(help: "List the caps instead.")
    var list = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if list {
            guard target.queue == nil, target.customer == nil, maxRunning == nil, !remove else {
                throw ValidationError("--list takes no other option")
            }
            return
        }
        if target.queue == nil, target.customer == nil {
            throw ValidationError("name a --queue, a --customer, or both (or --list)")
        }
        guard remove != (maxRunning != nil) else { throw ValidationError("give either --max-running or --remove") }
        if let maxRunning {
            _ = try checkedOption { () throws(ConveyorCore.ValidationError) in
                try ConcurrencyCap.valid(
                    queue: target.queue, customer: target.customer, maxRunning: maxRunning, field: "--max-running")
            }
        }
    }

    func run() async throws {
        let store = try await database.open(mustExist: !list)
        if list {
            let caps = try await failing { try await store.caps() }
            let rows = caps.map { [$0.queue ?? "(every)", $0.customer ?? "(every)", "\($0.maxRunning)"] }
            print(JobPrinter.aligned([["QUEUE", "CUSTOMER", "MAX RUNNING"]] + rows))
            if caps.isEmpty { print("(nothing is capped)") }
            return
        }
        if let maxRunning {
            _ = try await failing {
                try await store.setCap(queue: target.queue, customer: target.customer, maxRunning: maxRunning)
            }
            print("capped \(target.described): at most \(maxRunning) running at once")
        } else {
            let removed = try await failing {
                try await store.removeCap(queue: target.queue, customer: target.customer)
            }
            print(removed ? "removed the cap on \(target.described)" : "\(target.described) had no cap")
        }
    }
}
