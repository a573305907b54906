import ArgumentParser
import ConveyorCore
import ConveyorPostgres
import ConveyorSQLite
import Foundation
import Logging
import ServiceLifecycle

/// DatabaseOptions is the `--database` option every command shares, and how a command opens the
/// store it names.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "An SQLite file or a postgres:// URL (default: DATABASE_URL, else ./conveyor.sqlite).",
            valueName: "path-or-url"))
    var database: String?

    /// Where the jobs are, from the option, `DATABASE_URL` or the default. A long-running command
    /// passes the settings it read; a one-shot command reads them here.
    func location(_ settings: Settings = Settings()) throws(CommandFailure) -> DatabaseLocation {
        do {
            return try DatabaseLocation(option: database, settings: settings)
        } catch {
            throw CommandFailure(error)
        }
    }

    /// Opens the store. Commands that only read or change existing jobs pass `mustExist`: pointed
    /// at the wrong SQLite path, they must not leave a new empty database behind. `migrate: false`
    /// leaves the schema as it is, for `conveyor migrate` itself.
    func open(mustExist: Bool, migrate: Bool = true) async throws(CommandFailure) -> any JobStore {
        try await openEngine(mustExist: mustExist, migrate: migrate, Settings()).store
    }

    /// Opens the store with its engine-specific parts (migrations) at hand.
    func openEngine(
        mustExist: Bool, migrate: Bool = true, _ settings: Settings
    ) async throws(CommandFailure) -> OpenedStore {
        switch try location(settings) {
        case .sqlite(let path):
            return .sqlite(try await openSQLite(path, mustExist: mustExist, migrate: migrate, settings))
        case .postgres(let url):
            let (options, logger) = try Self.postgres(settings, migrate: migrate)
            return .postgres(
                try await failing { try await PostgresJobStore.open(url: url, options: options, logger: logger) })
        }
    }

    /// Opens the store a long-running command's `ServiceGroup` runs (its `services` first):
    /// migrated, and given to `prepare` before the group starts. On PostgreSQL that is done on a
    /// pool of its own, and the store's pool runs inside the group.
    func openService(
        _ settings: Settings, prepare: @Sendable (any JobStore) async throws(CommandFailure) -> Void = { _ in }
    ) async throws(CommandFailure) -> OpenedStore {
        switch try location(settings) {
        case .sqlite(let path):
            let store = try await openSQLite(path, mustExist: false, migrate: true, settings)
            try await prepare(store)
            return .sqlite(store)
        case .postgres(let url):
            let (options, logger) = try Self.postgres(settings, migrate: true)
            return .postgres(
                try await failing {
                    try await PostgresJobStore.openService(url: url, options: options, logger: logger) { store in
                        try await prepare(store)
                    }
                })
        }
    }

    private func openSQLite(
        _ path: String, mustExist: Bool, migrate: Bool, _ settings: Settings
    ) async throws(CommandFailure)
        -> SQLiteJobStore
    {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let isNew = !FileManager.default.fileExists(atPath: path)
        if isNew, mustExist {
            throw CommandFailure(
                "there is no database at \(absolute); run this where `conveyor serve` keeps its database, pass --database (or DATABASE_URL), or run `conveyor migrate` to create one"
            )
        }
        let options = try Self.store(settings)
        let store = try await failing {
            try await SQLiteJobStore.open(path: path, options: .init(migrate: migrate, store: options))
        }
        if isNew {
            // The default is a file of the current folder: a command run in another folder
            // than the server's made a second, empty database, whose keys and jobs the server
            // never saw. Saying so costs one line.
            FileHandle.standardError.write(
                Data("note: created a new database at \(absolute) (pass --database to use another)\n".utf8))
        }
        return store
    }

    /// The engine's options: PGAPPNAME, as libpq reads it, names this process's connections in
    /// pg_stat_activity; the pool's own log says only errors.
    private static func postgres(
        _ settings: Settings, migrate: Bool
    ) throws(CommandFailure) -> (PostgresJobStore.Options, Logger) {
        var logger = Logger(label: "conveyor.postgres")
        logger.logLevel = .error
        return (
            .init(
                migrate: migrate, applicationName: settings.text("PGAPPNAME") ?? "conveyor",
                store: try store(settings)),
            logger
        )
    }

    /// The engine-independent options (`BACKLOG_QUOTA`).
    private static func store(_ settings: Settings) throws(CommandFailure) -> JobStoreOptions {
        do {
            return try JobStoreOptions(settings: settings)
        } catch {
            throw CommandFailure(error)
        }
    }
}

/// OpenedStore is a store together with its engine, for the commands that need more than the
/// `JobStore` protocol (migrations).
enum OpenedStore {
    case sqlite(SQLiteJobStore)
    case postgres(PostgresJobStore)

    var store: any JobStore {
        switch self {
        case .sqlite(let store): store
        case .postgres(let store): store
        }
    }

    /// The engine's own long-running part, first in a process's `ServiceGroup` so that it stops
    /// last: PostgreSQL listens for other processes' enqueues and closes its pool when it stops.
    var services: [any Service] {
        switch self {
        case .sqlite: []
        case .postgres(let store): [store]
        }
    }

    /// The database, as messages name it (passwords hidden).
    var location: String {
        switch self {
        case .sqlite(let store): store.path
        case .postgres(let store): store.location
        }
    }

    func migrate(at now: Date) async throws -> [Migration] {
        switch self {
        case .sqlite(let store): try await store.migrator().migrate(at: now)
        case .postgres(let store): try await store.migrator().migrate(at: now)
        }
    }

    func migrationStatus() async throws -> [MigrationStatus] {
        switch self {
        case .sqlite(let store): try await store.migrator().status()
        case .postgres(let store): try await store.migrator().status()
        }
    }

    /// The bundled migrations the database lacks. A database migrated by a newer version counts as
    /// up to date: migrations only add, so its schema serves this one (a rolling upgrade).
    func pendingMigrations() async throws -> [String] {
        do {
            return try await migrationStatus().filter { $0.appliedAt == nil }.map(\.migration.label)
        } catch MigrationError.unknownApplied {
            return []
        }
    }
}
