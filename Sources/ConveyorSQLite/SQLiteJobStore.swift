public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore is the embedded engine: one SQLite file in WAL mode, so readers never wait for the
/// writer, with a busy timeout so that processes sharing the file queue for the write lock instead
/// of failing. Every write is one IMMEDIATE transaction (GRDB's default for writes): it takes the
/// write lock up front, which rules out the lock-upgrade deadlock a deferred transaction can hit.
public final class SQLiteJobStore: JobStore {
    /// Engine settings.
    public struct Options: Sendable {
        /// How long a write waits for another connection's lock before failing (default 5 s).
        public var busyTimeout: Duration
        /// Whether opening applies pending migrations (default true: the embedded engine needs no setup).
        public var migrate: Bool
        public var store: JobStoreOptions

        /// Creates options; every argument defaults to the documented default.
        public init(busyTimeout: Duration = .seconds(5), migrate: Bool = true, store: JobStoreOptions = .init()) {
            self.busyTimeout = busyTimeout
            self.migrate = migrate
            self.store = store
        }
    }

    /// The database file.
    public let path: String
    public let wakeups = Doorbell()
    public let cancellations = CancellationBoard()
    public let eventsRecorded = Doorbell()
    let pool: DatabasePool
    let clock: any WallClock
    let options: Options

    private init(path: String, pool: DatabasePool, clock: any WallClock, options: Options) {
        self.path = path
        self.pool = pool
        self.clock = clock
        self.options = options
    }

    /// Opens (creating if needed) the database at `path` and, unless told otherwise, migrates it.
    public static func open(
        path: String, clock: any WallClock = SystemClock(), options: Options = .init()
    )
        async throws -> SQLiteJobStore
    {
        var configuration = Configuration()
        configuration.busyMode = .timeout(options.busyTimeout.timeInterval)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw JobStoreError.unavailable(
                reason: "cannot open the database at \(path): \(explain(error))")
        }
        let store = SQLiteJobStore(path: path, pool: pool, clock: clock, options: options)
        if options.migrate {
            try await store.migrator().migrate(at: clock.now())
        }
        return store
    }

    /// The migrator for this database, with the bundled migrations unless others are given.
    public func migrator(migrations: [Migration] = SQLiteMigrator.bundled) -> SQLiteMigrator {
        SQLiteMigrator(writer: pool, path: path, migrations: migrations)
    }

    // MARK: Plumbing

    /// Applies one lifecycle method to one job inside a write transaction.
    /// Applies a lease operation to its job, the lease's customer scope checked first.
    func change(_ lease: Lease, _ body: @escaping @Sendable (inout Job, Date) throws -> Void) async throws -> Job {
        try await change(lease.jobID) { job, now in
            try job.checkScope(lease)
            try body(&job, now)
        }
    }

    func change(_ id: JobID, _ body: @escaping @Sendable (inout Job, Date) throws -> Void) async throws -> Job {
        defer { eventsRecorded.ringAll() }
        return try await write { db, now in
            guard var job = try JobRow.fetch(id, db) else { throw JobStoreError.notFound(id: id) }
            let before = job
            try body(&job, now)
            try JobRow.update(job, db)
            try EventRow.record(job.events(since: before, at: now), db)
            return job
        }
    }

    /// Runs `body` in an immediate write transaction with the time read once the lock is held.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database, Date) throws -> T) async throws -> T {
        let clock = self.clock
        return try await translatingDatabaseErrors(at: path) {
            try await self.pool.write { db in try body(db, clock.now()) }
        }
    }

    /// Runs `body` on a reader, concurrently with the writer.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database, Date) throws -> T) async throws -> T {
        let clock = self.clock
        return try await translatingDatabaseErrors(at: path) {
            try await self.pool.read { db in try body(db, clock.now()) }
        }
    }

}

/// Runs a database operation, turning SQLite's errors into `JobStoreError.unavailable` with the
/// path, so that callers handle one error type and users read which database failed.
func translatingDatabaseErrors<T>(at path: String, _ operation: () async throws -> T) async throws -> T {
    do {
        return try await operation()
    } catch let error as DatabaseError {
        throw JobStoreError.unavailable(reason: "the database at \(path) failed: \(explain(error))")
    }
}

/// SQLite's own words for an error.
func explain(_ error: any Error) -> String {
    if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
    return "\(error)"
}
