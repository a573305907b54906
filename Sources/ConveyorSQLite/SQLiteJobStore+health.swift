public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's health readings (`HealthReadings`).
extension SQLiteJobStore {
    public func ping() async throws {
        try await read { db, _ in _ = try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func running() async throws -> [QueueCounts] {
        try await read { db, _ in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT customer, queue, COUNT(*) AS running FROM jobs WHERE state = 'running' GROUP BY customer, queue"
            ).map { row in
                QueueCounts(customer: row["customer"], queue: row["queue"], counts: [.running: row["running"]])
            }
        }
    }

    public func backlogs() async throws -> [QueueBacklog] {
        try await read { db, now in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT customer, queue, COUNT(*) AS ready, MIN(run_at) AS oldest FROM jobs
                    WHERE state IN ('scheduled', 'available', 'retryable') AND run_at <= ?
                    GROUP BY customer, queue
                    """,
                arguments: [now.unixMilliseconds]
            ).map { row in
                QueueBacklog(
                    customer: row["customer"], queue: row["queue"], ready: row["ready"],
                    oldestReadySince: Date(unixMilliseconds: row["oldest"]))
            }
        }
    }
}
