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

    // MARK: Enqueue

    public func enqueue(_ job: NewJob) async throws -> EnqueueResult {
        try await enqueue(batch: [job])[0]
    }

    public func enqueue(batch jobs: [NewJob]) async throws -> [EnqueueResult] {
        let results = try await write { db, now in
            try jobs.map { request in
                if let key = request.idempotencyKey,
                    let existing = try JobRow.fetchAll(
                        db,
                        sql: """
                            SELECT \(JobRow.columns) FROM jobs
                            WHERE customer = ? AND queue = ? AND idempotency_key = ? AND state NOT IN \(JobRow.finishedStates)
                            """,
                        arguments: [request.customer, request.queue, key]
                    ).first
                {
                    return EnqueueResult(job: existing, inserted: false)
                }
                let job = Job(accepting: request, id: .generate(at: now), at: now)
                try JobRow.insert(job, db)
                return EnqueueResult(job: job, inserted: true)
            }
        }
        // Rung after the commit, so a woken worker finds the jobs.
        wakeups.ring(results.filter { $0.inserted && $0.job.state == .available }.map(\.job.queue))
        return results
    }

    public func enqueue(_ request: NewJob, idempotency: RequestIdempotency) async throws -> IdempotentEnqueue {
        let result = try await write { db, now -> IdempotentEnqueue in
            let cutoff = now.adding(.zero - RequestIdempotency.retention).unixMilliseconds
            if let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT fingerprint, job_id FROM idempotency_keys WHERE customer = ? AND key = ? AND created_at > ?
                    """,
                arguments: [request.customer, idempotency.key, cutoff]),
                let jobID = JobID(row["job_id"] as String)
            {
                let fingerprint: String = row["fingerprint"]
                guard fingerprint == idempotency.fingerprint else { return .conflict(jobID) }
                let made = try JobRow.fetchAll(
                    db, sql: "SELECT \(JobRow.columns) FROM jobs WHERE id = ?", arguments: [jobID.description])
                if let job = made.first { return .replayed(job) }
                // The job was pruned: the key is forgotten with it.
            }
            try db.execute(
                sql: "DELETE FROM idempotency_keys WHERE customer = ? AND key = ?",
                arguments: [request.customer, idempotency.key])
            let job = Job(accepting: request, id: .generate(at: now), at: now)
            try JobRow.insert(job, db)
            try db.execute(
                sql: """
                    INSERT INTO idempotency_keys (customer, key, fingerprint, job_id, created_at) VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    request.customer, idempotency.key, idempotency.fingerprint, job.id.description,
                    now.unixMilliseconds,
                ])
            return .created(job)
        }
        if case .created(let job) = result, job.state == .available { wakeups.ring([job.queue]) }
        return result
    }

    // MARK: Leases

    public func claim(_ request: ClaimRequest) async throws -> [Job] {
        try await write { db, now in
            var sql = """
                SELECT \(JobRow.columns) FROM jobs
                WHERE state IN ('scheduled', 'available', 'retryable')
                  AND queue IN \(JobRow.placeholders(request.queues.count))
                  AND run_at <= ?
                """
            var arguments = StatementArguments(request.queues) + [now.unixMilliseconds]
            if let customer = request.customer {
                sql += " AND customer = ?"
                arguments += [customer]
            }
            sql += " ORDER BY priority, run_at, id LIMIT ?"
            arguments += [request.limit]
            return try JobRow.fetchAll(db, sql: sql, arguments: arguments).map { candidate in
                var job = candidate
                try job.claim(
                    token: Job.newLeaseToken(), workerID: request.workerID, lease: request.lease, at: now)
                try JobRow.update(job, db)
                return job
            }
        }
    }

    public func heartbeat(_ lease: Lease, extendBy duration: Duration) async throws -> Job {
        try await change(lease.jobID) { job, now in try job.heartbeat(token: lease.token, lease: duration, at: now) }
    }

    public func complete(_ lease: Lease) async throws -> Job {
        try await change(lease.jobID) { job, now in try job.complete(token: lease.token, at: now) }
    }

    public func complete(batch leases: [Lease]) async throws -> [Result<Job, JobStoreError>] {
        try await write { db, now in
            let stored = try leases.compactMap { try JobRow.fetch($0.jobID, db) }
            let (results, changed) = Job.complete(leases, among: stored, at: now)
            for job in changed { try JobRow.update(job, db) }
            return results
        }
    }

    public func fail(_ lease: Lease, message: String, retryable: Bool) async throws -> Job {
        let policy = options.store.retryPolicy
        let limits = options.store.limits
        return try await change(lease.jobID) { job, now in
            try job.fail(
                token: lease.token, message: message, retryable: retryable, policy: policy,
                unitRandom: Double.random(in: 0..<1), limits: limits, at: now)
        }
    }

    public func release(_ lease: Lease, after delay: Duration) async throws -> Job {
        let job = try await change(lease.jobID) { job, now in try job.release(token: lease.token, after: delay, at: now)
        }
        if job.state == .available { wakeups.ring([job.queue]) }
        return job
    }

    public func cancel(id: JobID) async throws -> Job {
        try await change(id) { job, now in try job.cancel(at: now) }
    }

    // MARK: Plumbing

    /// Applies one lifecycle method to one job inside a write transaction.
    func change(_ id: JobID, _ body: @escaping @Sendable (inout Job, Date) throws -> Void) async throws -> Job {
        try await write { db, now in
            guard var job = try JobRow.fetch(id, db) else { throw JobStoreError.notFound(id: id) }
            try body(&job, now)
            try JobRow.update(job, db)
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
