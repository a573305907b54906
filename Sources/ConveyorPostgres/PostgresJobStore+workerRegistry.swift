public import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobStore's the worker registry (`WorkerRegistry`).
extension PostgresJobStore {
    private static let workerColumns = """
        id, host, pid::int8, queues::text, concurrency::int8, (extract(epoch from started_at) * 1000)::int8,
        (extract(epoch from last_heartbeat_at) * 1000)::int8, jobs_running::int8
        """

    public func registerWorker(_ registration: WorkerRegistration) async throws -> Worker {
        let logger = self.logger
        let queues = String(decoding: try JSONEncoder().encode(registration.queues), as: UTF8.self)
        return try await transaction { connection, now in
            let rows = try await connection.query(
                """
                INSERT INTO workers (id, host, pid, queues, concurrency, started_at, last_heartbeat_at, jobs_running)
                VALUES (\(registration.id), \(registration.host), \(registration.pid), \(queues)::jsonb,
                        \(registration.concurrency), to_timestamp(\(now.unixMilliseconds) / 1000.0),
                        to_timestamp(\(now.unixMilliseconds) / 1000.0), 0)
                ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, queues = excluded.queues,
                    concurrency = excluded.concurrency, started_at = excluded.started_at,
                    last_heartbeat_at = excluded.last_heartbeat_at, jobs_running = 0
                RETURNING \(unescaped: Self.workerColumns)
                """, logger: logger
            ).collect()
            return try Self.decodeWorker(rows[0])
        }
    }

    public func heartbeatWorker(id: String, jobsRunning: Int) async throws -> Worker {
        let logger = self.logger
        return try await transaction { connection, now in
            let rows = try await connection.query(
                """
                UPDATE workers SET last_heartbeat_at = to_timestamp(\(now.unixMilliseconds) / 1000.0), jobs_running = \(jobsRunning) WHERE id = \(id)
                RETURNING \(unescaped: Self.workerColumns)
                """, logger: logger
            ).collect()
            guard let row = rows.first else { throw JobStoreError.workerNotFound(id: id) }
            return try Self.decodeWorker(row)
        }
    }

    public func workers() async throws -> [Worker] {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                "SELECT \(unescaped: Self.workerColumns) FROM workers ORDER BY started_at, id", logger: logger
            ).collect().map(Self.decodeWorker)
        }
    }

    public func removeWorker(id: String) async throws {
        let logger = self.logger
        try await transaction { connection, _ in
            let rows = try await connection.query("DELETE FROM workers WHERE id = \(id) RETURNING id", logger: logger)
                .collect()
            guard !rows.isEmpty else { throw JobStoreError.workerNotFound(id: id) }
        }
    }

    private static func decodeWorker(_ row: PostgresRow) throws -> Worker {
        let (id, host, pid, queues, concurrency, started, heartbeat, running) = try row.decode(
            (String, String, Int, String, Int, Int64, Int64, Int).self)
        return Worker(
            id: id, host: host, pid: pid, queues: try JSONDecoder().decode([String].self, from: Data(queues.utf8)),
            concurrency: concurrency, startedAt: Date(unixMilliseconds: started),
            lastHeartbeatAt: Date(unixMilliseconds: heartbeat), jobsRunning: running)
    }
}
