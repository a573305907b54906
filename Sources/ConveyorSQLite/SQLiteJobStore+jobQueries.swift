public import ConveyorCore
public import Foundation
import GRDB

/// SQLiteJobStore's reading jobs (`JobQueries`).
extension SQLiteJobStore {
    public func job(id: JobID) async throws -> Job? {
        try await read { db, _ in try JobRow.fetch(id, db) }
    }

    public func list(_ query: JobQuery) async throws -> JobPage {
        try await read { db, _ in
            var (sql, arguments) = Self.selecting(query.filter)
            if let cursor = query.cursorID {
                sql += " AND id < ?"
                arguments += [cursor.description]
            }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments += [query.limit + 1]
            return JobPage(rows: try JobRow.fetchAll(db, sql: sql, arguments: arguments), limit: query.limit)
        }
    }

    public func counts(customer: String?) async throws -> [QueueCounts] {
        try await read { db, _ in
            var sql = "SELECT customer, queue, state, COUNT(*) AS n FROM jobs"
            var arguments: StatementArguments = []
            if let customer {
                sql += " WHERE customer = ?"
                arguments += [customer]
            }
            sql += " GROUP BY customer, queue, state ORDER BY customer, queue"
            return QueueCounts.gather(
                try Row.fetchAll(db, sql: sql, arguments: arguments).map {
                    (customer: $0["customer"], queue: $0["queue"], what: $0["state"], count: $0["n"])
                })
        }
    }

    public func liveCounts() async throws -> [QueueCounts] {
        try await read { db, _ in
            // Each part off its own partial index (named: without statistics SQLite prefers the
            // index of every job's state, which reads the completed ones too). The claim-order
            // index holds no state, so it gives the waiting jobs together; the scheduled and
            // retryable ones are counted apart and the rest are available.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT customer, queue, 'waiting' AS what, COUNT(*) AS n FROM jobs INDEXED BY jobs_share_claim_order
                    WHERE state IN ('scheduled', 'available', 'retryable') GROUP BY queue, customer
                    UNION ALL
                    SELECT customer, queue, 'scheduled', COUNT(*) FROM jobs INDEXED BY jobs_scheduled_by_id
                    WHERE state = 'scheduled' GROUP BY queue, customer
                    UNION ALL
                    SELECT customer, queue, 'retryable', COUNT(*) FROM jobs INDEXED BY jobs_retryable_by_id
                    WHERE state = 'retryable' GROUP BY queue, customer
                    UNION ALL
                    SELECT customer, queue, 'running', COUNT(*) FROM jobs INDEXED BY jobs_running_lease
                    WHERE state = 'running' GROUP BY queue, customer
                    UNION ALL
                    SELECT customer, queue, 'dead', COUNT(*) FROM jobs INDEXED BY jobs_dead_by_id
                    WHERE state = 'dead' GROUP BY queue, customer
                    """)
            return QueueCounts.gather(
                rows.map { (customer: $0["customer"], queue: $0["queue"], what: $0["what"], count: $0["n"]) })
        }
    }

    public func throughput(since: Date) async throws -> [ThroughputMinute] {
        try await read { db, _ in
            // Each half is a range read of its own index (jobs_finished by state and time,
            // jobs_last_failed_at by time).
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT finished_at / 60000 AS minute, customer, state AS what, COUNT(*) AS n FROM jobs
                    WHERE state IN ('completed', 'dead') AND finished_at >= ? GROUP BY 1, 2, 3
                    UNION ALL
                    SELECT last_failed_at / 60000, customer, 'failed', COUNT(*) FROM jobs
                    WHERE last_failed_at >= ? GROUP BY 1, 2
                    """,
                arguments: [since.unixMilliseconds, since.unixMilliseconds])
            return ThroughputMinute.gather(
                rows.map { row in (minute: row["minute"], customer: row["customer"], what: row["what"], count: row["n"])
                })
        }
    }

    /// `SELECT … WHERE` for a filter, ready for more `AND` clauses.
    static func selecting(_ filter: JobFilter) -> (String, StatementArguments) {
        var sql = "SELECT \(JobRow.columns) FROM jobs WHERE 1 = 1"
        var arguments: StatementArguments = []
        if let customer = filter.customer {
            sql += " AND customer = ?"
            arguments += [customer]
        }
        if let queue = filter.queue {
            sql += " AND queue = ?"
            arguments += [queue]
        }
        if let type = filter.type {
            sql += " AND type = ?"
            arguments += [type]
        }
        if let states = filter.states, !states.isEmpty {
            // Written out, not bound: the states are the enum's own names, and only a literal
            // `state = 'dead'` lets SQLite use the partial indexes of the rare states (migration 011).
            let names = states.map { "'\($0.rawValue)'" }
            // One state as `=`: an `IN` of one is not matched against a partial index's `WHERE`.
            sql += names.count == 1 ? " AND state = \(names[0])" : " AND state IN (\(names.joined(separator: ", ")))"
        }
        return (sql, arguments)
    }
}
