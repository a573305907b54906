import ArgumentParser
import ConveyorCore
import Foundation

/// `conveyor keys`: API keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a key and print it once.",
            discussion: "Only the key's SHA-256 is stored: the key cannot be shown again.")

        @Option(help: "The customer the key acts for.")
        var customer: String?

        @Flag(help: "Make an admin key, which reaches every customer and manages customers and keys.")
        var admin = false

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard (customer == nil) != !admin else {
                throw ValidationError("give either --customer NAME or --admin")
            }
        }

        func run() async throws {
            let store = try await database.open(mustExist: false)
            let (key, secret) = APIKeySecret.generate(customer: customer)
            let stored = try await failing { try await store.createAPIKey(key) }
            print("key \(stored.id) for \(stored.customer ?? "admin") (shown once, keep it): \(secret)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never the keys themselves).")

        @Option(help: "Only this customer's keys.")
        var customer: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let keys = try await failing { try await store.apiKeys(customer: customer) }
            let rows = keys.map { key in
                [
                    key.id, key.customer ?? "(admin)", key.prefix + "…",
                    key.createdAt.formatted(Date.ISO8601FormatStyle()),
                    key.revokedAt.map { "revoked " + $0.formatted(Date.ISO8601FormatStyle()) } ?? "active",
                ]
            }
            print(JobPrinter.aligned([["ID", "CUSTOMER", "PREFIX", "CREATED", "STATUS"]] + rows))
            if keys.isEmpty { print("(no keys)") }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key; it stops working at once.")

        @Argument(help: "The key's id (from `conveyor keys list`).")
        var id: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let key = try await failing { try await store.revokeAPIKey(id: id) }
            print("revoked key \(key.id) (\(key.prefix)…)")
        }
    }
}
