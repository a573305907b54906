import ArgumentParser
import ConveyorCore
import ConveyorSQLite
import Foundation

/// `conveyor migrate`: brings the database schema up to date, or shows where it stands.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply or inspect the database migrations.",
        subcommands: [Up.self, Status.self],
        defaultSubcommand: Up.self
    )

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply every pending migration (creating the database if needed); a no-op when up to date.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.openEngine(mustExist: false, migrate: false, Settings())
            let applied = try await failing { try await store.migrate(at: Date()) }
            if applied.isEmpty {
                print("\(store.location) is up to date")
            } else {
                for migration in applied { print("applied \(migration.label)") }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every migration and when it was applied.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.openEngine(mustExist: true, migrate: false, Settings())
            let statuses = try await failing { try await store.migrationStatus() }
            let rows = statuses.map { status in
                [
                    status.migration.label,
                    status.appliedAt.map { "applied \($0.formatted(Date.ISO8601FormatStyle()))" } ?? "pending",
                    String(status.migration.checksum.prefix(12)),
                ]
            }
            print(JobPrinter.aligned([["MIGRATION", "STATUS", "CHECKSUM"]] + rows))
        }
    }
}
