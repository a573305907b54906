import ConveyorCore
import Foundation
import GRDB

/// EventRow maps between `Event` and the `job_events` table. Events are recorded inside the
/// write that makes the change they describe; only this file knows the columns.
enum EventRow {
    /// Records `events` in the write under way.
    static func record(_ events: [NewEvent], _ db: Database) throws {
        for event in events {
            try db.cachedStatement(
                sql: """
                    INSERT INTO job_events (customer, job_id, queue, type, kind, attempt, at, run_at, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                event.job.customer, event.job.id.description, event.job.queue, event.job.type, event.kind.rawValue,
                event.job.attempt, event.at.unixMilliseconds, event.runAt?.unixMilliseconds, event.detail,
            ])
        }
    }

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
