import ArgumentParser
import ConveyorCore
import ConveyorSQLite
import Foundation

/// DatabaseOptions is the `--database` option every command shares, and how a command opens the
/// store it names.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The SQLite file to use (default: DATABASE_URL, else ./conveyor.sqlite).", valueName: "path"))
    var database: String?

    /// Where the jobs are, from the option, the environment or the default.
    func location() throws(CommandFailure) -> DatabaseLocation {
        do {
            return try DatabaseLocation(option: database, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CommandFailure(error)
        }
    }

    /// Opens the store. Commands that only read or change existing jobs pass `mustExist`: pointed
    /// at the wrong path, they must not leave a new empty database behind. `migrate: false` leaves
    /// the schema as it is, for `conveyor migrate` itself.
    func open(mustExist: Bool, migrate: Bool = true) async throws(CommandFailure) -> SQLiteJobStore {
        let path: String
        switch try location() {
        case .sqlite(let file): path = file
        case .postgres(let url):
            throw CommandFailure(
                "\(DatabaseLocation.postgres(url: url)) is a PostgreSQL URL, and this build of conveyor supports only SQLite files so far"
            )
        }
        if mustExist, !FileManager.default.fileExists(atPath: path) {
            throw CommandFailure(
                "there is no database at \(path); enqueue a job or run `conveyor migrate` to create it")
        }
        return try await failing { try await SQLiteJobStore.open(path: path, options: .init(migrate: migrate)) }
    }
}
