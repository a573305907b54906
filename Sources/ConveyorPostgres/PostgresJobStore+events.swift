public import ConveyorCore
import PostgresNIO

/// PostgresJobStore's job events (`EventStore`). Only events whose transaction is older than every
/// transaction still running are read (`pg_snapshot_xmin`): a transaction that began earlier but
/// commits later can then never add an event behind a reader's cursor.
extension PostgresJobStore {
    public func events(after cursor: EventCursor?, customer: String?, limit: Int) async throws -> [Event] {
        let logger = self.logger
        let tx = String(cursor?.major ?? 0)
        let id = cursor?.minor ?? 0
        return try await read { connection, _ in
            let query: PostgresQuery =
                if let customer {
                    """
                    \(unescaped: PostgresEventRow.selection)
                    WHERE (e.tx, e.id) > (\(tx)::xid8, \(id)::int8) AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
                      AND e.customer = \(customer)
                    ORDER BY e.tx, e.id LIMIT \(limit)
                    """
                } else {
                    """
                    \(unescaped: PostgresEventRow.selection)
                    WHERE (e.tx, e.id) > (\(tx)::xid8, \(id)::int8) AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
                    ORDER BY e.tx, e.id LIMIT \(limit)
                    """
                }
            return try await connection.query(query, logger: logger).collect().map(PostgresEventRow.decode)
        }
    }

    public func newestEventCursor() async throws -> EventCursor? {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                """
                SELECT tx::text::int8, id FROM job_events WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY tx DESC, id DESC LIMIT 1
                """, logger: logger
            ).collect().first.map { row in
                let (tx, id) = try row.decode((Int64, Int64).self)
                return EventCursor(major: tx, minor: id)
            }
        }
    }

    public func prunedEventCursor() async throws -> EventCursor? {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                "SELECT newest_tx::text::int8, newest_id FROM event_pruning", logger: logger
            ).collect().first.map { row in
                let (tx, id) = try row.decode((Int64, Int64).self)
                return EventCursor(major: tx, minor: id)
            }
        }
    }

    public func pruneEvents(olderThan age: Duration) async throws -> Int {
        let logger = self.logger
        return try await read { connection, now in
            let cutoffMs = now.adding(.zero - age).unixMilliseconds
            let rows = try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM job_events WHERE at < to_timestamp(\(cutoffMs) / 1000.0) RETURNING tx, id
                ), newest AS (
                    SELECT tx, id FROM gone ORDER BY tx DESC, id DESC LIMIT 1
                ), noted AS (
                    INSERT INTO event_pruning (singleton, newest_tx, newest_id) SELECT 1, tx, id FROM newest
                    ON CONFLICT (singleton) DO UPDATE SET newest_tx = excluded.newest_tx, newest_id = excluded.newest_id
                    WHERE (excluded.newest_tx, excluded.newest_id) > (event_pruning.newest_tx, event_pruning.newest_id)
                )
                SELECT count(*)::int8 FROM gone
                """, logger: logger
            ).collect()
            return Int(try rows.first?.decode(Int64.self) ?? 0)
        }
    }
}
