public import ConveyorCore
public import Foundation
import PostgresNIO

/// PostgresJobStore's reading jobs (`JobQueries`).
extension PostgresJobStore {
    public func job(id: JobID) async throws -> Job? {
        let logger = self.logger
        return try await read { connection, _ in
            try await PostgresJobRow.fetch(
                connection, "SELECT \(unescaped: PostgresJobRow.columns) FROM jobs WHERE id = \(id.description)",
                logger: logger
            ).first
        }
    }

    public func list(_ query: JobQuery) async throws -> JobPage {
        let logger = self.logger
        return try await read { connection, _ in
            var (sql, bindings) = Self.selecting(query.filter)
            if let cursor = query.cursorID {
                bindings.append(cursor.description)
                sql += " AND id < $\(bindings.count)"
            }
            bindings.append(query.limit + 1)
            sql += " ORDER BY id DESC LIMIT $\(bindings.count)"
            let rows = try await PostgresJobRow.fetch(
                connection, PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            return JobPage(rows: rows, limit: query.limit)
        }
    }

    public func counts(customer: String?) async throws -> [QueueCounts] {
        let logger = self.logger
        return try await read { connection, _ in
            // Waiting and other jobs apart, each off its own index (see migration 011).
            var query: PostgresQuery = """
                SELECT customer, queue, state, count(*)::int8 FROM jobs
                WHERE state IN ('scheduled', 'available', 'retryable') GROUP BY customer, queue, state
                UNION ALL
                SELECT customer, queue, state, count(*)::int8 FROM jobs
                WHERE state NOT IN ('scheduled', 'available', 'retryable') GROUP BY customer, queue, state
                ORDER BY 1, 2
                """
            if let customer {
                query = """
                    SELECT customer, queue, state, count(*)::int8 FROM jobs
                    WHERE customer = \(customer) AND state IN ('scheduled', 'available', 'retryable')
                    GROUP BY customer, queue, state
                    UNION ALL
                    SELECT customer, queue, state, count(*)::int8 FROM jobs
                    WHERE customer = \(customer) AND state NOT IN ('scheduled', 'available', 'retryable')
                    GROUP BY customer, queue, state
                    ORDER BY 1, 2
                    """
            }
            return try await Self.queueCounts(query, on: connection, logger: logger)
        }
    }

    public func liveCounts() async throws -> [QueueCounts] {
        let logger = self.logger
        return try await read { connection, _ in
            // The waiting jobs off the claim-order index (it includes the state), the running and
            // the dead off their own partial indexes: none of them holds a completed job.
            let query: PostgresQuery = """
                SELECT customer, queue, state, count(*)::int8 FROM jobs
                WHERE state IN ('scheduled', 'available', 'retryable') GROUP BY customer, queue, state
                UNION ALL
                SELECT customer, queue, state, count(*)::int8 FROM jobs WHERE state = 'running' GROUP BY customer, queue, state
                UNION ALL
                SELECT customer, queue, state, count(*)::int8 FROM jobs WHERE state = 'dead' GROUP BY customer, queue, state
                """
            return try await Self.queueCounts(query, on: connection, logger: logger)
        }
    }

    /// Runs a query of `(customer, queue, state, count)` rows and gathers them per queue.
    static func queueCounts(
        _ query: PostgresQuery, on connection: PostgresConnection, logger: Logger
    ) async throws
        -> [QueueCounts]
    {
        var rows: [(customer: String, queue: String, what: String, count: Int)] = []
        for try await (customer, queue, state, count) in try await connection.query(query, logger: logger)
            .decode((String, String, String, Int).self)
        {
            rows.append((customer, queue, state, count))
        }
        return QueueCounts.gather(rows)
    }

    public func throughput(since: Date) async throws -> [ThroughputMinute] {
        let logger = self.logger
        return try await read { connection, _ in
            // Each half is a range read of its own index (jobs_finished by state and time,
            // jobs_last_failed_at by time).
            let query: PostgresQuery = """
                SELECT floor(extract(epoch FROM finished_at) / 60)::int8, customer, state, count(*)::int8 FROM jobs
                WHERE state IN ('completed', 'dead') AND finished_at >= \(since) GROUP BY 1, 2, 3
                UNION ALL
                SELECT floor(extract(epoch FROM last_failed_at) / 60)::int8, customer, 'failed', count(*)::int8
                FROM jobs WHERE last_failed_at >= \(since) GROUP BY 1, 2
                """
            var rows: [(minute: Int64, customer: String, what: String, count: Int)] = []
            for try await (minute, customer, what, count) in try await connection.query(query, logger: logger)
                .decode((Int64, String, String, Int).self)
            {
                rows.append((minute, customer, what, count))
            }
            return ThroughputMinute.gather(rows)
        }
    }

    /// `SELECT … WHERE` for a filter, with its bindings, ready for more `AND` clauses.
    static func selecting(_ filter: JobFilter) -> (String, PostgresBindings) {
        var sql = "SELECT \(PostgresJobRow.columns) FROM jobs WHERE true"
        var bindings = PostgresBindings()
        for (column, value) in [("customer", filter.customer), ("queue", filter.queue), ("type", filter.type)] {
            guard let value else { continue }
            bindings.append(value)
            sql += " AND \(column) = $\(bindings.count)"
        }
        if let states = filter.states, !states.isEmpty {
            // Written out, not bound: the states are the enum's own names, and only constants let
            // the planner prove a partial index of a rare state applies (migration 013).
            let names = states.map { "'\($0.rawValue)'" }
            // One state as `=`: an `IN` of one is not matched against a partial index's `WHERE`.
            sql += names.count == 1 ? " AND state = \(names[0])" : " AND state IN (\(names.joined(separator: ", ")))"
        }
        return (sql, bindings)
    }
}
