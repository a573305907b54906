import ConveyorCore
import Foundation
import GRDB
import GRDBSQLite

/// EventRow maps between `Event` and the `job_events` table. Events are recorded inside the
/// write that makes the change they describe; only this file knows the columns.
enum EventRow {
    /// Records `events` in the write under way. The values are bound in C: GRDB's arguments box
    /// each one, which made up a third of what recording an event cost — and a claim and a
    /// completion each record one per job, in the one writer's transaction.
    static func record(_ events: [NewEvent], _ db: Database) throws {
        guard !events.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO job_events (customer, job_id, queue, type, kind, attempt, at, run_at, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        for event in events {
            sqlite3_reset(handle)
            bind(handle, 1, event.job.customer)
            bind(handle, 2, event.job.id.description)
            bind(handle, 3, event.job.queue)
            bind(handle, 4, event.job.type)
            bind(handle, 5, event.kind.rawValue)
            sqlite3_bind_int64(handle, 6, Int64(event.job.attempt))
            sqlite3_bind_int64(handle, 7, event.at.unixMilliseconds)
            if let runAt = event.runAt {
                sqlite3_bind_int64(handle, 8, runAt.unixMilliseconds)
            } else {
                sqlite3_bind_null(handle, 8)
            }
            if let detail = event.detail { bind(handle, 9, detail) } else { sqlite3_bind_null(handle, 9) }
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                    sql: statement.sql)
            }
        }
    }

    /// Binds text, copied by SQLite (its "transient" destructor) before the call returns.
    private static func bind(_ handle: SQLiteStatement, _ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            // An empty string may have no storage: bound as "" then, never as NULL.
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                _ = sqlite3_bind_text(handle, index, "", 0, transient)
                return
            }
            _ = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(handle, index, $0, Int32(bytes.count), transient)
            }
        }
    }

    /// SQLite's SQLITE_TRANSIENT, which C defines as a cast Swift does not import.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The select list and join `decode` reads: a completed job's result comes from the job.
    static let selection = """
        SELECT e.id, e.kind, e.customer, e.job_id, e.queue, e.type, e.attempt, e.at, e.run_at, e.detail, j.result
        FROM job_events e LEFT JOIN jobs j ON e.kind = 'job.completed' AND j.id = e.job_id
        """

    static func decode(_ row: Row) throws -> Event {
        let kindText: String = row[1]
        let jobText: String = row[3]
        guard let kind = EventKind(rawValue: kindText), let jobID = JobID(jobText) else {
            throw JobStoreError.unavailable(reason: "corrupt job event in database: \(kindText) of \(jobText)")
        }
        return Event(
            id: EventCursor(major: row[0]), kind: kind, customer: row[2], jobID: jobID, queue: row[4], type: row[5],
            attempt: row[6], at: Date(unixMilliseconds: row[7]),
            runAt: (row[8] as Int64?).map(Date.init(unixMilliseconds:)), detail: row[9],
            result: (row[10] as String?).map(JobPayload.init(storedText:)))
    }
}
