public import ConveyorCore
import Foundation
public import Logging
import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// PostgresJobStore is the engine for many processes on many hosts sharing one PostgreSQL. Every
/// operation is one transaction: rows are locked (`FOR UPDATE`, and `SKIP LOCKED` for claims so
/// that claimers never wait on each other), changed by the same lifecycle methods the SQLite
/// engine uses, and written back in one bulk statement.
///
/// It is also a `Service`, the first in a process's `ServiceGroup` so that it stops last. A store
/// made for a group (`openService`) runs its connection pool inside `run()`, as postgres-nio
/// documents for `PostgresClient`, and listens there for enqueues of other processes
/// (LISTEN/NOTIFY, ringing `wakeups`); the schema is set up and migrated before, on a pool that
/// lives only as long as that call. A store from `open` (a one-shot command, a tool, a test) runs
/// its pool from `open` until `close()`, and listens only while something runs its `run()`.
public final class PostgresJobStore: JobStore, Service {
    /// Engine settings.
    public struct Options: Sendable {
        /// The schema to keep Conveyor's tables in (created if missing); nil uses the server's
        /// default search path (`public`).
        public var schema: String?
        /// Whether opening applies pending migrations (default true).
        public var migrate: Bool
        /// The most connections this process opens for its queries (default 20); listening takes
        /// one more, so that a busy listener can never starve the queries (or the reverse). Idle
        /// connections close after 60 s.
        public var maximumConnections: Int
        /// How long opening waits for the server before giving up (default 10 s).
        public var connectTimeout: Duration
        /// Whether `run()` LISTENs for enqueues from other processes and rings `wakeups` (default true).
        public var listen: Bool
        /// How the connections name themselves in `pg_stat_activity` (default "conveyor").
        public var applicationName: String
        public var store: JobStoreOptions

        /// Creates options; every argument defaults to the documented default.
        public init(
            schema: String? = nil, migrate: Bool = true, maximumConnections: Int = 20,
            connectTimeout: Duration = .seconds(10), listen: Bool = true, applicationName: String = "conveyor",
            store: JobStoreOptions = .init()
        ) {
            self.schema = schema
            self.migrate = migrate
            self.maximumConnections = maximumConnections
            self.connectTimeout = connectTimeout
            self.listen = listen
            self.applicationName = applicationName
            self.store = store
        }
    }

    /// Who runs the connection pool.
    enum Pool {
        /// `open` started it; `close()` ends it.
        case ownTask(Task<Void, Never>)
        /// `run()` runs it, inside the process's `ServiceGroup`.
        case service
    }

    public let wakeups = Doorbell()
    public let cancellations = CancellationBoard()
    public let eventsRecorded = Doorbell()
    /// Rung each time the listener starts listening (again, after a lost connection).
    public let listening = Doorbell()
    /// The channel enqueues are announced on; the payload is the queue's name.
    static let channel = "conveyor_jobs"
    /// The server, with any password hidden.
    public let location: String
    let client: PostgresClient
    let clock: any WallClock
    let options: Options
    let logger: Logger
    private let pool: Pool
    /// Set until a call has succeeded, and again once the database has failed a call or dropped
    /// the listening connection; cleared by the next call that succeeds. While set, calls wait a
    /// bounded time for a connection. It starts set because a store's pool starts with no
    /// connection: a server that went away before the first one was made fails no call, and the
    /// calls would wait for it for good.
    let connectionTrouble = AtomicFlag(true)

    private init(
        location: String, client: PostgresClient, clock: any WallClock, options: Options, logger: Logger, pool: Pool
    ) {
        self.location = location
        self.client = client
        self.clock = clock
        self.options = options
        self.logger = logger
        self.pool = pool
    }

    /// Connects to the server at `url`, checks it answers, and (unless told otherwise) migrates;
    /// the pool runs until `close()`. An unreachable server or a bad URL throws one sentence
    /// saying which.
    public static func open(
        url: String, clock: any WallClock = SystemClock(), options: Options = .init(),
        logger: Logger = Logger(label: "conveyor.postgres")
    ) async throws -> PostgresJobStore {
        let (location, configuration) = try await reach(url: url, options: options)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let running = Task { await client.run() }
        let store = PostgresJobStore(
            location: location, client: client, clock: clock, options: options, logger: logger,
            pool: .ownTask(running))
        do {
            try await store.setUp()
        } catch {
            running.cancel()
            throw error
        }
        return store
    }

    /// A store for a process's `ServiceGroup`, whose pool runs inside `run()`. Before it is made,
    /// the server is checked, the schema set up and migrated, and `prepare` given the database
    /// (the server's admin key is made there), all on a pool that ends with this call.
    public static func openService(
        url: String, clock: any WallClock = SystemClock(), options: Options = .init(),
        logger: Logger = Logger(label: "conveyor.postgres"),
        prepare: @Sendable (PostgresJobStore) async throws -> Void = { _ in }
    ) async throws -> PostgresJobStore {
        let (location, configuration) = try await reach(url: url, options: options)
        var setUpOptions = options
        setUpOptions.listen = false
        let scoped = PostgresJobStore(
            location: location, client: PostgresClient(configuration: configuration, backgroundLogger: logger),
            clock: clock, options: setUpOptions, logger: logger, pool: .service)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await scoped.client.run() }
            // Ends the set-up pool however the set-up ends; the group waits for it.
            defer { group.cancelAll() }
            try await scoped.setUp()
            try await prepare(scoped)
        }
        return PostgresJobStore(
            location: location, client: PostgresClient(configuration: configuration, backgroundLogger: logger),
            clock: clock, options: options, logger: logger, pool: .service)
    }

    /// The pool's configuration for `url`, once a plain TCP connection shows the server is there:
    /// a refused or unresolvable server is reported at once rather than after the pool's timeout.
    private static func reach(
        url: String, options: Options
    ) async throws -> (location: String, configuration: PostgresClient.Configuration) {
        let location = DatabaseLocation.postgres(url: url).description
        var configuration = try PostgresURL.configuration(url)
        let listening = options.listen ? 1 : 0
        configuration.options.maximumConnections = max(options.maximumConnections, 1) + listening
        // No connection is kept open for good, although that saved the pool's idle timer (a task
        // group and a dispatch timer each time a connection goes back: 8% of a sequential
        // enqueue's CPU in `conveyor bench`, not measured since). With a minimum, PostgresNIO
        // 1.33.2's pool traps (`precondition` in `createNewDemandConnectionIfPossible`) on a
        // request made while a kept connection is re-made after a failure: under the full test
        // suite it killed the process in every run of the database-outage tests. A queue must
        // outlive its database's restarts.
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = options.connectTimeout
        // Generic plans for the prepared statements (claim, complete, insert, rate-limit decisions),
        // each written for one plan whatever its values: left to choose, PostgreSQL planned the
        // claim anew on every call (1,252 plans in 1,250 claims, 1.8 ms of planning against 1.4 of
        // execution, `pg_stat_statements`). Unnamed one-off queries are planned per call anyway.
        configuration.options.additionalStartupParameters = [
            ("application_name", options.applicationName), ("plan_cache_mode", "force_generic_plan"),
        ]
        if let schema = options.schema {
            configuration.options.additionalStartupParameters.append(("search_path", schema))
        }
        // No keep-alive pings: the pool schedules a keep-alive timer (a task group of two tasks
        // and a dispatch timer) every time a connection goes back to it, ~20% of a worker's CPU
        // in `conveyor bench`. Conveyor's own traffic (claims every poll interval, registry
        // heartbeats) keeps its connections in use, and a connection found broken on its next
        // use is replaced while the caller retries (claim loops back off; enqueue answers 503).
        configuration.options.keepAliveBehavior = nil
        if let host = configuration.host, let port = configuration.port {
            try await PostgresReachability.check(
                host: host, port: port, location: location, timeout: options.connectTimeout)
        }
        return (location, configuration)
    }

    /// Checks the server answers (creating the schema if one is named) and migrates, on a running pool.
    private func setUp() async throws {
        let (client, options, logger) = (self.client, self.options, self.logger)
        do {
            // The pool retries connecting for ever; opening must give up after the timeout.
            _ = try await withDeadline(options.connectTimeout) {
                if let schema = options.schema {
                    // Under a lock on the schema's name: two processes creating the same schema
                    // at once would otherwise collide in the catalogue despite IF NOT EXISTS.
                    try await client.withTransaction(logger: logger) { connection in
                        try await connection.query(
                            "SELECT pg_advisory_xact_lock(hashtextextended('conveyor-schema:' || \(schema), 0))",
                            logger: logger)
                        try await connection.query(
                            "CREATE SCHEMA IF NOT EXISTS \(unescaped: PostgresJobStore.quoted(schema))", logger: logger)
                    }
                } else {
                    try await client.query("SELECT 1", logger: logger)
                }
            }
        } catch {
            throw JobStoreError.unavailable(
                reason: "cannot reach the PostgreSQL server at \(location): \(explain(error))")
        }
        if options.migrate {
            try await migrator().migrate(at: clock.now())
        }
    }

    /// Runs the pool (a store from `openService`) and listens (with `options.listen`) until
    /// graceful shutdown or cancellation; then ends both. A store from `open` closes its pool here
    /// and waits for it — two seconds at most, so a connection that never answers cannot keep
    /// the process.
    public func run() async {
        await withDiscardingTaskGroup { group in
            if case .service = pool {
                // `PostgresClient.run()` ends at graceful shutdown: this store's comes last, once
                // every service after it in the group has stopped using it.
                group.addTask { await self.client.run() }
            }
            if options.listen { group.addTask { await self.listen() } }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        if case .ownTask(let running) = pool {
            running.cancel()
            _ = try? await abandoning(after: .seconds(2)) { await running.value }
        }
    }

    /// Closes every connection of a store from `open`; it cannot be used afterwards. A store from
    /// `openService` is closed by the end of `run()`.
    public func close() {
        if case .ownTask(let running) = pool { running.cancel() }
    }

    deinit {
        close()
    }

    /// The migrator for this database, with the bundled migrations unless others are given.
    public func migrator(migrations: [Migration] = PostgresMigrator.bundled) -> PostgresMigrator {
        PostgresMigrator(store: self, migrations: migrations)
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: Plumbing

    /// Runs `body` in a transaction with the time read once it has begun.
    func transaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection, Date) async throws -> T
    ) async throws -> T {
        let (client, clock, logger) = (self.client, self.clock, self.logger)
        return try await translatingErrors {
            try await boundingConnectionWait { leased in
                try await client.withTransaction(logger: logger) { connection in
                    leased()
                    try Self.requireOpen(connection)
                    return try await body(connection, clock.now())
                }
            }
        }
    }

    /// Runs `body` on a pooled connection, outside any transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Date) async throws -> T) async throws -> T {
        let (client, clock) = (self.client, self.clock)
        return try await translatingErrors {
            try await boundingConnectionWait { leased in
                try await client.withConnection { connection in
                    leased()
                    try Self.requireOpen(connection)
                    return try await body(connection, clock.now())
                }
            }
        }
    }

    /// Runs `operation`, failing it as `unavailable` if it has not been handed a connection (it
    /// calls `leased`) within the connect timeout while `connectionTrouble` is set (no call has
    /// succeeded yet, or one failed, or the listening connection dropped, and none succeeded
    /// since). PostgresNIO's pool keeps a request for a connection waiting for as long as no
    /// connection can be made: with the server stopped, an HTTP request waited for good and
    /// `conveyor serve`, which drains in-flight requests before exiting, never exited (seen: still
    /// running 60 s after SIGTERM). Only the wait is bounded (the pool takes a cancelled request
    /// back); a statement that has its connection runs to its end. A call that began waiting
    /// while the database seemed well is not bounded here: the processes bound their own shutdown.
    private func boundingConnectionWait<T: Sendable>(
        _ operation: @escaping @Sendable (_ leased: @escaping @Sendable () -> Void) async throws -> T
    ) async throws -> T {
        // While the database answers, the call runs as it is: two child tasks per call cost the
        // queue under load (on two busy cores, rate-limit decisions missed their 300 ms deadline).
        guard connectionTrouble.value.load(ordering: .relaxed) else { return try await operation {} }
        let timeout = options.connectTimeout
        let location = self.location
        let leased = AtomicFlag()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation { leased.value.store(true, ordering: .relaxed) } }
            group.addTask {
                try await Task.sleep(for: timeout)
                guard leased.value.load(ordering: .relaxed) else {
                    throw JobStoreError.unavailable(
                        reason: "no connection to the PostgreSQL server at \(location): "
                            + DeadlineExceeded(timeout: timeout).description)
                }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
            }
            throw CancellationError()
        }
    }

    /// Refuses a connection the pool handed out already closed. PostgresNIO did not always fail a
    /// query written to a connection that had just closed (seen with `pg_terminate_backend`
    /// killing connections under load): the query never returned. Checking first narrows that to
    /// a close racing the write itself; the calls a process must see through to stop (a worker's
    /// claims and outcomes, leadership, maintenance passes) are bounded with `abandoning` as well.
    static func requireOpen(_ connection: PostgresConnection) throws {
        if connection.isClosed {
            throw JobStoreError.unavailable(reason: "the pool handed out a connection that had closed")
        }
    }

    private func translatingErrors<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            let result = try await operation()
            if connectionTrouble.value.load(ordering: .relaxed) {
                connectionTrouble.value.store(false, ordering: .relaxed)
            }
            return result
        } catch let error as JobStoreError {
            if case .unavailable = error { connectionTrouble.value.store(true, ordering: .relaxed) }
            throw error
        } catch let error as PostgresTransactionError {
            // An error of ours that rolled the transaction back is passed on as it is.
            if let closure = error.closureError, !(closure is PSQLError) { throw closure }
            connectionTrouble.value.store(true, ordering: .relaxed)
            throw JobStoreError.unavailable(reason: "the PostgreSQL server at \(location) failed: \(explain(error))")
        } catch let error as PSQLError {
            connectionTrouble.value.store(true, ordering: .relaxed)
            throw JobStoreError.unavailable(reason: "the PostgreSQL server at \(location) failed: \(explain(error))")
        }
    }

    /// Applies a lease operation to its locked job, the lease's customer scope checked first.
    func change(
        _ lease: Lease, announce: Bool = false, _ body: @escaping @Sendable (inout Job, Date) throws -> Void
    ) async throws -> Job {
        try await change(lease.jobID, announce: announce) { job, now in
            try job.checkScope(lease)
            try body(&job, now)
        }
    }

    /// Applies a lifecycle method to one locked job.
    /// `announce` notifies other processes when the job becomes available.
    func change(
        _ id: JobID, announce: Bool = false, _ body: @escaping @Sendable (inout Job, Date) throws -> Void
    ) async throws
        -> Job
    {
        let logger = self.logger
        defer { eventsRecorded.ringAll() }
        return try await transaction { connection, now in
            guard
                var job = try await PostgresJobRow.fetch(
                    connection,
                    "SELECT \(unescaped: PostgresJobRow.columns) FROM jobs WHERE id = \(id.description) FOR UPDATE",
                    logger: logger
                ).first
            else { throw JobStoreError.notFound(id: id) }
            let before = job
            try body(&job, now)
            try await PostgresJobRow.update([job], connection, logger: logger)
            try await PostgresEventRow.record(job.events(since: before, at: now), connection, logger: logger)
            if before.state == .running && job.state == .cancelled {
                // Every process's listener posts it to its workers (`+notify`).
                _ = try await connection.query(
                    "SELECT pg_notify(\(Self.channel), \(Self.cancelMark + id.description))", logger: logger
                ).collect()
            }
            if announce && job.state == .available { try await Self.notify([job.queue], connection, logger: logger) }
            return job
        }
    }
}

/// AtomicFlag is a flag shared between tasks: whether an operation has been handed its
/// connection, whether the database is in trouble.
final class AtomicFlag: Sendable {
    let value: Atomic<Bool>

    init(_ value: Bool = false) {
        self.value = Atomic(value)
    }
}

/// The server's own words for an error.
func explain(_ error: any Error) -> String {
    if let error = error as? PSQLError {
        if let message = error.serverInfo?[.message] { return message }
        return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
    }
    if let error = error as? PostgresTransactionError {
        return error.closureError.map { explain($0) } ?? error.beginError.map { explain($0) } ?? "\(error)"
    }
    return "\(error)"
}
