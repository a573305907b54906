import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresEventRow maps between `Event` and the `job_events` table. Events are recorded with the
/// change they describe: by the set-wise statements themselves (a CTE over the rows they change,
/// `recording(_:from:atMs:)`), and by the lifecycle's single changes as one JSON document in the
/// same transaction (`record`). A row's `tx` is its transaction's id (the column's default).
enum PostgresEventRow {
    /// A CTE `recorded` inserting one event of `kind` for each row of the CTE `source` (a
    /// `RETURNING jobs.*`), at the time in the parameter `atMs` — but webhook deliveries', which
    /// record none (`Job.events(since:at:)`).
    static func recording(_ kind: EventKind, from source: String, atMs: String) -> String {
        """
        recorded AS (
            INSERT INTO job_events (customer, job_id, queue, type, kind, attempt, at)
            SELECT customer, id, queue, type, '\(kind.rawValue)', attempt, to_timestamp(\(atMs) / 1000.0) FROM \(source)
            WHERE queue <> '\(WebhookDelivery.queue)'
        )
        """
    }

    /// Records `events` in the transaction under way.
    static func record(_ events: [NewEvent], _ connection: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let records = String(decoding: try encoder.encode(events.map(EventRecord.init)), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO job_events (customer, job_id, queue, type, kind, attempt, at, run_at, detail)
            SELECT v.customer, v.job_id, v.queue, v.type, v.kind, v.attempt, to_timestamp(v.at / 1000.0),
                   to_timestamp(v.run_at / 1000.0), v.detail
            FROM jsonb_to_recordset(\(records)::jsonb) AS v(
                customer text, job_id text, queue text, type text, kind text, attempt int, at int8, run_at int8,
                detail text)
            """, logger: logger)
    }

    /// The select list and join `decode` reads: a completed job's result comes from the job.
    static let selection = """
        SELECT e.tx::text::int8, e.id, e.kind, e.customer, e.job_id, e.queue, e.type, e.attempt::int8,
               (extract(epoch from e.at) * 1000)::int8, (extract(epoch from e.run_at) * 1000)::int8, e.detail, j.result
        FROM job_events e LEFT JOIN jobs j ON e.kind = '\(EventKind.completed.rawValue)' AND j.id = e.job_id
        """

    static func decode(_ row: PostgresRow) throws -> Event {
        let (tx, id, kindText, customer, jobText, queue, type, attempt, at, runAt, detail, result) = try row.decode(
            (Int64, Int64, String, String, String, String, String, Int64, Int64, Int64?, String?, String?).self)
        guard let kind = EventKind(rawValue: kindText), let jobID = JobID(jobText) else {
            throw JobStoreError.unavailable(reason: "corrupt job event in database: \(kindText) of \(jobText)")
        }
        return Event(
            id: EventCursor(major: tx, minor: id), kind: kind, customer: customer, jobID: jobID, queue: queue,
            type: type, attempt: Int(attempt), at: Date(unixMilliseconds: at),
            runAt: runAt.map(Date.init(unixMilliseconds:)), detail: detail,
            result: result.map(JobPayload.init(storedText:)))
    }
}

/// EventRecord is one event as the JSON rows of `PostgresEventRow.record` carry it.
private struct EventRecord: Encodable {
    let customer, jobId, queue, type, kind: String
    let attempt: Int
    let at: Int64
    let runAt: Int64?
    let detail: String?

    init(_ event: NewEvent) {
        customer = event.job.customer
        jobId = event.job.id.description
        queue = event.job.queue
        type = event.job.type
        kind = event.kind.rawValue
        attempt = event.job.attempt
        at = event.at.unixMilliseconds
        runAt = event.runAt?.unixMilliseconds
        detail = event.detail
    }
}
