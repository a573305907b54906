public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's the worker registry (`WorkerRegistry`).
extension SQLiteJobStore {
    public func registerWorker(_ registration: WorkerRegistration) async throws -> Worker {
        try await write { db, now in
            let queues = String(decoding: try JSONEncoder().encode(registration.queues), as: UTF8.self)
            try db.execute(
                sql: """
                    INSERT INTO workers (id, host, pid, queues, concurrency, started_at, last_heartbeat_at, jobs_running)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 0)
                    ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, queues = excluded.queues,
                        concurrency = excluded.concurrency, started_at = excluded.started_at,
                        last_heartbeat_at = excluded.last_heartbeat_at, jobs_running = 0
                    """,
                arguments: [
                    registration.id, registration.host, registration.pid, queues, registration.concurrency,
                    now.unixMilliseconds, now.unixMilliseconds,
                ])
            return try Self.worker(registration.id, db)
        }
    }

    public func heartbeatWorker(id: String, jobsRunning: Int) async throws -> Worker {
        try await write { db, now in
            try db.execute(
                sql: "UPDATE workers SET last_heartbeat_at = ?, jobs_running = ? WHERE id = ?",
                arguments: [now.unixMilliseconds, jobsRunning, id])
            guard db.changesCount == 1 else { throw JobStoreError.workerNotFound(id: id) }
            return try Self.worker(id, db)
        }
    }

    public func workers() async throws -> [Worker] {
        try await read { db, _ in
            try Row.fetchAll(db, sql: "SELECT * FROM workers ORDER BY started_at, id").map(Self.decodeWorker)
        }
    }

    public func removeWorker(id: String) async throws {
        try await write { db, _ in
            try db.execute(sql: "DELETE FROM workers WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw JobStoreError.workerNotFound(id: id) }
        }
    }

    private static func worker(_ id: String, _ db: Database) throws -> Worker {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM workers WHERE id = ?", arguments: [id]) else {
            throw JobStoreError.workerNotFound(id: id)
        }
        return try decodeWorker(row)
    }

    private static func decodeWorker(_ row: Row) throws -> Worker {
        let queues: String = row["queues"]
        return Worker(
            id: row["id"], host: row["host"], pid: row["pid"],
            queues: try JSONDecoder().decode([String].self, from: Data(queues.utf8)), concurrency: row["concurrency"],
            startedAt: Date(unixMilliseconds: row["started_at"]),
            lastHeartbeatAt: Date(unixMilliseconds: row["last_heartbeat_at"]),
            jobsRunning: row["jobs_running"])
    }
}
