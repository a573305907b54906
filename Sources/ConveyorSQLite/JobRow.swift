import ConveyorCore
import Foundation
import GRDB

/// JobRow maps between `Job` and a row of the `jobs` table. Only this file knows the column list.
/// Every statement goes through the connection's statement cache: the job queries come in a few
/// fixed shapes, and preparing them once instead of per call is most of a claim's cost.
enum JobRow {
    static let columns = """
        id, customer, queue, type, payload, priority, state, run_at, attempt, max_attempts, lease_token,
        lease_expires_at, worker_id, errors, dead_reason, replay_count, idempotency_key, created_at,
        attempted_at, finished_at, first_failed_at, last_failed_at, result, progress, schedule, scheduled_for
        """

    /// Reads a row selected with `columns`, by position: looking columns up by name costs more
    /// than the rest of the decoding.
    static func decode(_ row: Row) throws -> Job {
        let idText: String = row[0]
        guard let id = JobID(idText) else {
            throw JobStoreError.unavailable(reason: "corrupt job id in database: \(idText)")
        }
        let stateText: String = row[6]
        guard let state = JobState(rawValue: stateText) else {
            throw JobStoreError.unavailable(reason: "unknown job state in database: \(stateText)")
        }
        let errorsText: String = row[13]
        let errors =
            errorsText == "[]"
            ? [] : try JSONDecoder().decode([StoredAttemptError].self, from: Data(errorsText.utf8)).map(\.attemptError)
        return Job(
            id: id, customer: row[1], queue: row[2], type: row[3], payload: JobPayload(storedText: row[4]),
            priority: row[5], state: state, runAt: date(row[7])!, attempt: row[8], maxAttempts: row[9],
            leaseToken: row[10], leaseExpiresAt: date(row[11]), workerID: row[12], errors: errors,
            deadReason: (row[14] as String?).flatMap(DeadReason.init(rawValue:)), replayCount: row[15],
            idempotencyKey: row[16], createdAt: date(row[17])!, attemptedAt: date(row[18]), finishedAt: date(row[19]),
            firstFailedAt: date(row[20]), lastFailedAt: date(row[21]),
            result: (row[22] as String?).map(JobPayload.init(storedText:)),
            progress: (row[23] as String?).map(JobPayload.init(storedText:)), schedule: row[24],
            scheduledFor: date(row[25]))
    }

    /// Inserts the job, its values bound in C (`BoundValues`): every enqueue writes one.
    static func insert(_ job: Job, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO jobs (\(columns))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        try BoundValues.execute(
            statement,
            [
                .text(job.id.description), .text(job.customer), .text(job.queue), .text(job.type),
                .text(job.payload.text), .integer(Int64(job.priority)),
            ] + mutableValues(job) + [.integer(job.createdAt.unixMilliseconds)] + timestamps(job) + outcome(job)
                + [.text(job.schedule), .integer(job.scheduledFor?.unixMilliseconds)], db)
    }

    /// Writes every field a lifecycle method may change.
    static func update(_ job: Job, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE jobs SET state = ?, run_at = ?, attempt = ?, max_attempts = ?, lease_token = ?,
                    lease_expires_at = ?, worker_id = ?, errors = ?, dead_reason = ?, replay_count = ?,
                    idempotency_key = ?, attempted_at = ?, finished_at = ?, first_failed_at = ?, last_failed_at = ?,
                    result = ?, progress = ?
                WHERE id = ?
                """)
        try BoundValues.execute(
            statement, mutableValues(job) + timestamps(job) + outcome(job) + [.text(job.id.description)], db)
    }

    /// Writes only what a claim or a completion changes (the state, the attempt, the lease and its
    /// holder, the attempt's and the finish's times, the result and progress): SQLite rewrites the
    /// entries of every index over a column a statement sets, and a drain claims and completes
    /// every job once; its values bound in C (`BoundValues`).
    static func updateLease(_ job: Job, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE jobs SET state = ?, attempt = ?, lease_token = ?, lease_expires_at = ?, worker_id = ?,
                    attempted_at = ?, finished_at = ?, result = ?, progress = ?
                WHERE id = ?
                """)
        try BoundValues.execute(
            statement,
            [
                .text(job.state.rawValue), .integer(Int64(job.attempt)), .text(job.leaseToken),
                .integer(job.leaseExpiresAt?.unixMilliseconds), .text(job.workerID),
                .integer(job.attemptedAt?.unixMilliseconds), .integer(job.finishedAt?.unixMilliseconds),
                .text(job.result?.text), .text(job.progress?.text), .text(job.id.description),
            ], db)
    }

    static func fetch(_ id: JobID, _ db: Database) throws -> Job? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(columns) FROM jobs WHERE id = ?"), arguments: [id.description]
        ).map(decode)
    }

    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Job] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(decode)
    }

    private static func mutableValues(_ job: Job) throws -> [BoundValues.Value] {
        let errors =
            job.errors.isEmpty
            ? "[]" : String(decoding: try JSONEncoder().encode(job.errors.map(StoredAttemptError.init)), as: UTF8.self)
        return [
            .text(job.state.rawValue), .integer(job.runAt.unixMilliseconds), .integer(Int64(job.attempt)),
            .integer(Int64(job.maxAttempts)), .text(job.leaseToken), .integer(job.leaseExpiresAt?.unixMilliseconds),
            .text(job.workerID), .text(errors), .text(job.deadReason?.rawValue), .integer(Int64(job.replayCount)),
            .text(job.idempotencyKey),
        ]
    }

    private static func timestamps(_ job: Job) -> [BoundValues.Value] {
        [
            .integer(job.attemptedAt?.unixMilliseconds), .integer(job.finishedAt?.unixMilliseconds),
            .integer(job.firstFailedAt?.unixMilliseconds), .integer(job.lastFailedAt?.unixMilliseconds),
        ]
    }

    private static func outcome(_ job: Job) -> [BoundValues.Value] {
        [.text(job.result?.text), .text(job.progress?.text)]
    }

    private static func date(_ milliseconds: Int64?) -> Date? {
        milliseconds.map(Date.init(unixMilliseconds:))
    }

    /// `IN (?, ?, …)` for `count` values.
    static func placeholders(_ count: Int) -> String {
        "(" + Array(repeating: "?", count: count).joined(separator: ", ") + ")"
    }

    /// The finished states as an SQL list, for the clauses that exclude them.
    static let finishedStates = "('completed', 'dead', 'cancelled')"
}
