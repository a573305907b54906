public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's retention (`RetentionStore`).
extension SQLiteJobStore {
    public func prune(_ policy: RetentionPolicy) async throws -> PruneReport {
        try await write { db, now in
            func delete(_ state: JobState, olderThan age: Duration) throws -> Int {
                try db.execute(
                    sql: "DELETE FROM jobs WHERE state = ? AND finished_at < ?",
                    arguments: [state.rawValue, now.adding(.zero - age).unixMilliseconds])
                return db.changesCount
            }
            var report = PruneReport(
                completed: try delete(.completed, olderThan: policy.completed),
                cancelled: try delete(.cancelled, olderThan: policy.cancelled),
                dead: try delete(.dead, olderThan: policy.dead))
            // Beyond the age limit the dead-letter queue is also bounded by count, oldest deaths first.
            try db.execute(
                sql: """
                    DELETE FROM jobs WHERE id IN (
                        SELECT id FROM jobs WHERE state = 'dead' ORDER BY finished_at DESC, id DESC LIMIT -1 OFFSET ?)
                    """,
                arguments: [max(policy.deadMaxCount, 0)])
            report.dead += db.changesCount
            try db.execute(
                sql: "DELETE FROM idempotency_keys WHERE created_at <= ?",
                arguments: [now.adding(.zero - RequestIdempotency.retention).unixMilliseconds])
            return report
        }
    }
}
