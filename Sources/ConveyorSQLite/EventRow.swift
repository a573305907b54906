import ConveyorCore
import Foundation
import GRDB

/// EventRow maps between `Event` and the `job_events` table. Events are recorded inside the
/// write that makes the change they describe; only this file knows the columns.
enum EventRow {
    /// Records `events` in the write under way, the values bound in C (`BoundValues`): a claim
    /// and a completion each record one per job, in the one writer's transaction.
    static func record(_ events: [NewEvent], _ db: Database) throws {
        guard !events.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO job_events (customer, job_id, queue, type, kind, attempt, at, run_at, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for event in events {
            try BoundValues.execute(
                statement,
                [
                    .text(event.job.customer), .text(event.job.id.description), .text(event.job.queue),
                    .text(event.job.type), .text(event.kind.rawValue), .integer(Int64(event.job.attempt)),
                    .integer(event.at.unixMilliseconds), .integer(event.runAt?.unixMilliseconds), .text(event.detail),
                ], db)
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
