import ArgumentParser
import ConveyorCore
import Foundation

/// `conveyor customers`: the tenants.
struct CustomersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customers", abstract: "Create and list customers, and set their rate limits and weights.",
        subcommands: [Create.self, List.self, SetLimit.self, SetWeight.self, SetQuota.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a customer.")

        @Argument(help: "The customer's name (1–64 of a–z, 0–9, '_', '-').")
        var name: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: false)
            let customer = try await failing { try await store.createCustomer(name) }
            print("created customer \(customer.name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List customers.")

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let customers = try await failing { try await store.customers() }
            if json {
                print(String(decoding: try JSONEncoder.conveyor(pretty: true).encode(customers), as: UTF8.self))
                return
            }
            let rows = customers.map {
                [
                    $0.name, $0.createdAt.formatted(Date.ISO8601FormatStyle()),
                    $0.rateLimit.map { "\($0.requests) per \($0.windowSeconds) s" } ?? "default",
                    ($0.weight ?? 1).formatted(), $0.backlogQuota.map { "\($0)" } ?? "default",
                ]
            }
            print(JobPrinter.aligned([["NAME", "CREATED", "RATE LIMIT", "WEIGHT", "BACKLOG QUOTA"]] + rows))
            if customers.isEmpty { print("(no customers)") }
        }
    }

    struct SetLimit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-limit",
            abstract: "Give a customer a rate limit of its own, or back the default.",
            discussion: """
                conveyor customers set-limit acme --requests 500 --window 60
                conveyor customers set-limit acme --default
                """)

        @Argument(help: "The customer's name.")
        var name: String

        @Option(help: "Requests allowed in any window (1–10000).")
        var requests: Int?

        @Option(help: "The window in seconds (1–86400).")
        var window: Int?

        @Flag(
            name: .customLong("default"),
            help: "Go back to the server's default (RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW).")
        var useDefault = false

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard useDefault != (requests != nil || window != nil) else {
                throw ValidationError("give either --requests and --window, or --default")
            }
            guard useDefault || (requests != nil && window != nil) else {
                throw ValidationError("give both --requests and --window")
            }
        }

        func run() async throws {
            let policy = try await failing { () async throws -> RateLimitPolicy? in
                guard let requests, let window else { return nil }
                return try RateLimitPolicy(requests: requests, windowSeconds: window)
            }
            let store = try await database.open(mustExist: true)
            let customer = try await failing { try await store.setRateLimit(customer: name, policy: policy) }
            if let own = customer.rateLimit {
                print("customer \(customer.name): \(own.requests) requests per \(own.windowSeconds) s")
            } else {
                print("customer \(customer.name): the default rate limit")
            }
        }
    }

    struct SetWeight: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-weight",
            abstract: "Give a customer a weight in fair claiming, or back the default (1).",
            discussion: """
                On a queue several customers have jobs waiting on, each is served in proportion to its \
                weight: with weights 1 and 3, one job of the first for three of the second.
                conveyor customers set-weight acme 3
                conveyor customers set-weight acme --default
                """)

        @Argument(help: "The customer's name.")
        var name: String

        @Argument(help: "The weight, from 0.01 to 1000.")
        var weight: Double?

        @Flag(name: .customLong("default"), help: "Go back to the default weight, 1.")
        var useDefault = false

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard useDefault != (weight != nil) else { throw ValidationError("give either a weight or --default") }
            if let weight {
                _ = try checkedOption { () throws(ConveyorCore.ValidationError) in
                    try Customer.validWeight(weight, field: "the weight")
                }
            }
        }

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let customer = try await failing { try await store.setWeight(customer: name, weight: weight) }
            print("customer \(customer.name): weight \((customer.weight ?? 1).formatted())")
        }
    }

    struct SetQuota: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-quota",
            abstract: "Give a customer a backlog quota, or back the global one (BACKLOG_QUOTA, off by default).",
            discussion: """
                The most jobs the customer may have waiting over all its queues (running jobs do not \
                count): an enqueue or batch that would pass it is refused with 429, and nothing of it \
                is kept.
                conveyor customers set-quota acme 100000
                conveyor customers set-quota acme --default
                """)

        @Argument(help: "The customer's name.")
        var name: String

        @Argument(help: "The most jobs waiting, from 1 to 1000000000.")
        var quota: Int?

        @Flag(name: .customLong("default"), help: "Go back to the global quota.")
        var useDefault = false

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard useDefault != (quota != nil) else { throw ValidationError("give either a quota or --default") }
            if let quota {
                _ = try checkedOption { () throws(ConveyorCore.ValidationError) in
                    try Customer.validBacklogQuota(quota, field: "the quota")
                }
            }
        }

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let customer = try await failing { try await store.setBacklogQuota(customer: name, quota: quota) }
            print(
                "customer \(customer.name): backlog quota "
                    + (customer.backlogQuota.map { "\($0) jobs waiting" } ?? "the global one (BACKLOG_QUOTA)"))
        }
    }
}
