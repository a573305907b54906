import ArgumentParser
import ConveyorCore
import Foundation

/// `conveyor customers`: the tenants.
struct CustomersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customers", abstract: "Create and list customers, and set their rate limits.",
        subcommands: [Create.self, List.self, SetLimit.self])

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
                ]
            }
            print(JobPrinter.aligned([["NAME", "CREATED", "RATE LIMIT"]] + rows))
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
}
