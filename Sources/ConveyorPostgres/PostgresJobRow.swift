import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobRow maps between `Job` and the `jobs` table. Times cross the wire as integer
/// milliseconds — exactly what the core keeps. New jobs go in as binary column arrays
/// (`InsertJobs`); changed jobs go back as one JSON document expanded by `jsonb_to_recordset`, so
/// that writing 500 jobs costs one statement, not 500.
enum PostgresJobRow {
    /// The select list, in the order `decode` reads it.
    static let columns = [
        "id", "customer", "queue", "type", "payload", "priority::int8", "state", ms("run_at"), "attempt::int8",
        "max_attempts::int8", "lease_token", ms("lease_expires_at"), "worker_id", "errors::text", "dead_reason",
        "replay_count::int8", "idempotency_key", ms("created_at"), ms("attempted_at"), ms("finished_at"),
        ms("first_failed_at"), ms("last_failed_at"), "result", "progress", "schedule", ms("scheduled_for"),
    ].joined(separator: ", ")

    /// The same list qualified by a table alias, for joins.
    static func columns(of alias: String) -> String {
        columns.split(separator: ", ").map { column in
            column.hasPrefix("(extract(epoch from ")
                ? column.replacingOccurrences(of: "from ", with: "from \(alias).") : "\(alias).\(column)"
        }.joined(separator: ", ")
    }

    private static func ms(_ column: String) -> String {
        "(extract(epoch from \(column)) * 1000)::int8"
    }

    static func decode(_ row: PostgresRow) throws -> Job {
        let cells = row.makeRandomAccess()
        func text(_ index: Int) throws -> String { try cells[index].decode(String.self) }
        func optionalText(_ index: Int) throws -> String? { try cells[index].decode(String?.self) }
        func int(_ index: Int) throws -> Int { try cells[index].decode(Int.self) }
        func date(_ index: Int) throws -> Date? {
            try cells[index].decode(Int64?.self).map(Date.init(unixMilliseconds:))
        }
        let idText = try text(0)
        guard let id = JobID(idText) else {
            throw JobStoreError.unavailable(reason: "corrupt job id in database: \(idText)")
        }
        let stateText = try text(6)
        guard let state = JobState(rawValue: stateText) else {
            throw JobStoreError.unavailable(reason: "unknown job state in database: \(stateText)")
        }
        let errorsText = try text(13)
        let errors =
            errorsText == "[]"
            ? [] : try JSONDecoder().decode([StoredAttemptError].self, from: Data(errorsText.utf8)).map(\.attemptError)
        return Job(
            id: id, customer: try text(1), queue: try text(2), type: try text(3),
            payload: JobPayload(storedText: try text(4)), priority: try int(5), state: state, runAt: try date(7)!,
            attempt: try int(8), maxAttempts: try int(9), leaseToken: try optionalText(10),
            leaseExpiresAt: try date(11),
            workerID: try optionalText(12), errors: errors,
            deadReason: try optionalText(14).flatMap(DeadReason.init(rawValue:)), replayCount: try int(15),
            idempotencyKey: try optionalText(16), createdAt: try date(17)!, attemptedAt: try date(18),
            finishedAt: try date(19), firstFailedAt: try date(20), lastFailedAt: try date(21),
            result: try optionalText(22).map(JobPayload.init(storedText:)),
            progress: try optionalText(23).map(JobPayload.init(storedText:)), schedule: try optionalText(24),
            scheduledFor: try date(25))
    }

    static func fetch(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> [Job] {
        try await connection.query(query, logger: logger).collect().map(decode)
    }

    /// The record type of the JSON rows `update` expands.
    private static let recordType = """
        id text, customer text, queue text, type text, payload text, priority int, state text, run_at int8,
        attempt int, max_attempts int, lease_token text, lease_expires_at int8, worker_id text, errors jsonb,
        dead_reason text, replay_count int, idempotency_key text, created_at int8, attempted_at int8,
        finished_at int8, first_failed_at int8, last_failed_at int8, result text, progress text
        """

    private static func time(_ column: String) -> String {
        "to_timestamp(v.\(column) / 1000.0)"
    }

    /// Inserts new jobs (`Job(accepting:)`: only the columns a new job has are written); those
    /// whose idempotency key an unfinished job already holds are skipped. Returns the ids actually
    /// inserted. The same statement announces the queues that gained available jobs (at commit).
    /// Throws `backlogQuotaExceeded`, having inserted nothing, when a customer's jobs would pass
    /// its backlog quota (its own, else `defaultQuota`).
    static func insert(
        _ jobs: [Job], defaultQuota: Int?, _ connection: PostgresConnection, logger: Logger
    ) async throws -> Set<String> {
        guard !jobs.isEmpty else { return [] }
        let rows = try await connection.all(InsertJobs(jobs: jobs, defaultQuota: defaultQuota), logger: logger)
        if let refused = rows.first(where: { $0.hasPrefix(InsertJobs.refusedMark) }) {
            let customer = String(refused.dropFirst(InsertJobs.refusedMark.count))
            let fallback = defaultQuota.map(Int64.init)
            let quota = try await connection.query(
                """
                SELECT coalesce((SELECT backlog_quota FROM customers WHERE name = \(customer)), \(fallback)::int8)
                """, logger: logger
            ).collect().first?.decode(Int64?.self)
            throw JobStoreError.backlogQuotaExceeded(customer: customer, quota: Int(quota.flatMap { $0 } ?? 0))
        }
        return Set(rows)
    }

    /// Writes every field a lifecycle method may change, for all the jobs in one statement.
    static func update(_ jobs: [Job], _ connection: PostgresConnection, logger: Logger) async throws {
        guard !jobs.isEmpty else { return }
        let records = try records(jobs)
        try await connection.query(
            """
            UPDATE jobs SET state = v.state, run_at = \(unescaped: time("run_at")), attempt = v.attempt,
                max_attempts = v.max_attempts, lease_token = v.lease_token,
                lease_expires_at = \(unescaped: time("lease_expires_at")), worker_id = v.worker_id, errors = v.errors,
                dead_reason = v.dead_reason, replay_count = v.replay_count, idempotency_key = v.idempotency_key,
                attempted_at = \(unescaped: time("attempted_at")), finished_at = \(unescaped: time("finished_at")),
                first_failed_at = \(unescaped: time("first_failed_at")), last_failed_at = \(unescaped: time("last_failed_at")),
                result = v.result, progress = v.progress
            FROM jsonb_to_recordset(\(records)::jsonb) AS v(\(unescaped: recordType))
            WHERE jobs.id = v.id
            """, logger: logger)
    }

    private static func records(_ jobs: [Job]) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(jobs.map(JobRecord.init)), as: UTF8.self)
    }
}

/// JobRecord is one job as the JSON rows of a bulk write carry it (a missing key reads as NULL).
private struct JobRecord: Encodable {
    let id, customer, queue, type, payload: String
    let priority: Int
    let state: String
    let runAt: Int64
    let attempt, maxAttempts: Int
    let leaseToken: String?
    let leaseExpiresAt: Int64?
    let workerId: String?
    let errors: [StoredAttemptError]
    let deadReason: String?
    let replayCount: Int
    let idempotencyKey: String?
    let createdAt: Int64
    let attemptedAt, finishedAt, firstFailedAt, lastFailedAt: Int64?
    let result, progress: String?

    init(_ job: Job) {
        id = job.id.description
        customer = job.customer
        queue = job.queue
        type = job.type
        payload = job.payload.text
        priority = job.priority
        state = job.state.rawValue
        runAt = job.runAt.unixMilliseconds
        attempt = job.attempt
        maxAttempts = job.maxAttempts
        leaseToken = job.leaseToken
        leaseExpiresAt = job.leaseExpiresAt?.unixMilliseconds
        workerId = job.workerID
        errors = job.errors.map(StoredAttemptError.init)
        deadReason = job.deadReason?.rawValue
        replayCount = job.replayCount
        idempotencyKey = job.idempotencyKey
        createdAt = job.createdAt.unixMilliseconds
        attemptedAt = job.attemptedAt?.unixMilliseconds
        finishedAt = job.finishedAt?.unixMilliseconds
        firstFailedAt = job.firstFailedAt?.unixMilliseconds
        lastFailedAt = job.lastFailedAt?.unixMilliseconds
        result = job.result?.text
        progress = job.progress?.text
    }
}
