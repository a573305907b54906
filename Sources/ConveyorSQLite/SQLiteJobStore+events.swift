public import ConveyorCore
import GRDB

/// SQLiteJobStore's job events (`EventStore`). Writes are serialized, so ids are in commit order
/// and every event below the newest id is already visible.
extension SQLiteJobStore {
    public func events(after cursor: EventCursor?, customer: String?, limit: Int) async throws -> [Event] {
        try await read { db, _ in
            var sql = EventRow.selection + " WHERE e.id > ?"
            var arguments: StatementArguments = [cursor?.major ?? 0]
            if let customer {
                sql += " AND e.customer = ?"
                arguments += [customer]
            }
            sql += " ORDER BY e.id LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(EventRow.decode)
        }
    }

    public func newestEventCursor() async throws -> EventCursor? {
        try await read { db, _ in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM job_events")).map { EventCursor(major: $0) }
        }
    }

    public func prunedEventCursor() async throws -> EventCursor? {
        try await read { db, _ in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT newest_pruned FROM event_pruning"))
                .map { EventCursor(major: $0) }
        }
    }

    /// The events older than `age` go, but the newest event always stays: the next id is the
    /// largest plus one, so keeping it is what keeps ids from being used twice. Ids follow time
    /// (one writer, each stamped as it commits), so the cut is found by a binary search on the id
    /// rather than kept in an index every event would pay for.
    public func pruneEvents(olderThan age: Duration) async throws -> Int {
        try await write { db, now in
            let cutoff = now.adding(.zero - age).unixMilliseconds
            guard let (low, high) = try Self.eventIDRange(db) else { return 0 }
            func at(_ id: Int64) throws -> Int64? {
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT at FROM job_events WHERE id >= ? ORDER BY id LIMIT 1"),
                    arguments: [id])
            }
            // The largest id whose event is older than the cutoff, the newest excluded.
            var (lower, upper) = (low, high - 1)
            var newest: Int64?
            while lower <= upper {
                let middle = lower + (upper - lower) / 2
                if let time = try at(middle), time < cutoff {
                    newest = middle
                    lower = middle + 1
                } else {
                    upper = middle - 1
                }
            }
            guard let newest else { return 0 }
            try db.execute(sql: "DELETE FROM job_events WHERE id <= ?", arguments: [newest])
            let pruned = db.changesCount
            try db.execute(
                sql: """
                    INSERT INTO event_pruning (singleton, newest_pruned) VALUES (1, ?)
                    ON CONFLICT (singleton) DO UPDATE SET newest_pruned = max(newest_pruned, excluded.newest_pruned)
                    """, arguments: [newest])
            return pruned
        }
    }

    private static func eventIDRange(_ db: Database) throws -> (Int64, Int64)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT min(id), max(id) FROM job_events"),
            let low = row[0] as Int64?, let high = row[1] as Int64?
        else { return nil }
        return (low, high)
    }
}
