public import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobStore's retention (`RetentionStore`).
extension PostgresJobStore {
    public func prune(_ policy: RetentionPolicy) async throws -> PruneReport {
        let logger = self.logger
        return try await transaction { connection, now in
            func delete(_ state: JobState, olderThan age: Duration) async throws -> Int {
                let cutoff = now.adding(.zero - age)
                let rows = try await connection.query(
                    """
                    WITH deleted AS (DELETE FROM jobs WHERE state = \(state.rawValue) AND finished_at < to_timestamp(\(cutoff.unixMilliseconds) / 1000.0) RETURNING 1)
                    SELECT count(*)::int8 FROM deleted
                    """, logger: logger
                ).collect()
                return try rows.first?.decode(Int.self) ?? 0
            }
            var report = PruneReport(
                completed: try await delete(.completed, olderThan: policy.completed),
                cancelled: try await delete(.cancelled, olderThan: policy.cancelled),
                dead: try await delete(.dead, olderThan: policy.dead))
            // Beyond the age limit the dead-letter queue is also bounded by count, oldest deaths first.
            let overflow = try await connection.query(
                """
                WITH deleted AS (
                    DELETE FROM jobs WHERE id IN (
                        SELECT id FROM jobs WHERE state = 'dead' ORDER BY finished_at DESC, id DESC OFFSET \(max(policy.deadMaxCount, 0)))
                    RETURNING 1)
                SELECT count(*)::int8 FROM deleted
                """, logger: logger
            ).collect()
            report.dead += try overflow.first?.decode(Int.self) ?? 0
            let forgotten = now.adding(.zero - RequestIdempotency.retention)
            try await connection.query(
                "DELETE FROM idempotency_keys WHERE created_at <= to_timestamp(\(forgotten.unixMilliseconds) / 1000.0)",
                logger: logger)
            return report
        }
    }
}
