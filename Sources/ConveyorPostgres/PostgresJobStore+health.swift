public import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobStore's health readings (`HealthReadings`).
extension PostgresJobStore {
    public func ping() async throws {
        let logger = self.logger
        try await read { connection, _ in
            _ = try await connection.query("SELECT 1", logger: logger).collect()
        }
    }

    public func running() async throws -> [QueueCounts] {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                "SELECT customer, queue, count(*)::int8 FROM jobs WHERE state = 'running' GROUP BY customer, queue",
                logger: logger
            ).collect().map { row in
                let (customer, queue, running) = try row.decode((String, String, Int).self)
                return QueueCounts(customer: customer, queue: queue, counts: [.running: running])
            }
        }
    }

    public func backlogs() async throws -> [QueueBacklog] {
        let logger = self.logger
        return try await read { connection, now in
            let rows = try await connection.query(
                """
                SELECT customer, queue, count(*)::int8, (extract(epoch FROM min(run_at)) * 1000)::int8 FROM jobs
                WHERE state IN ('scheduled', 'available', 'retryable') AND run_at <= to_timestamp(\(now.unixMilliseconds) / 1000.0)
                GROUP BY customer, queue
                """, logger: logger
            ).decode((String, String, Int, Int64).self)
            var result: [QueueBacklog] = []
            for try await (customer, queue, ready, oldest) in rows {
                result.append(
                    QueueBacklog(
                        customer: customer, queue: queue, ready: ready, oldestReadySince: Date(unixMilliseconds: oldest)
                    ))
            }
            return result
        }
    }
}
