import ArgumentParser
import ConveyorCore
import Foundation

/// `conveyor customers`: the tenants.
struct CustomersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customers", abstract: "Create and list customers.",
        subcommands: [Create.self, List.self])

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
            let rows = customers.map { [$0.name, $0.createdAt.formatted(Date.ISO8601FormatStyle())] }
            print(JobPrinter.aligned([["NAME", "CREATED"]] + rows))
            if customers.isEmpty { print("(no customers)") }
        }
    }
}
