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

    public func pruneEvents(olderThan age: Duration) async throws -> Int {
        try await write { db, now in
            let cutoff = now.adding(.zero - age).unixMilliseconds
            guard
                let newest = try Int64.fetchOne(
                    db, sql: "SELECT max(id) FROM job_events WHERE at < ?", arguments: [cutoff])
            else { return 0 }
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
}
