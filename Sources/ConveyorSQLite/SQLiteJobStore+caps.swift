public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's concurrency caps (`CapStore`); `claim` counts the running jobs under them.
extension SQLiteJobStore {
    /// Rings the queues the target's jobs wait on: a raised cap may let idle workers claim.
    public func setCap(queue: String?, customer: String?, maxRunning: Int) async throws -> ConcurrencyCap {
        let cap = try ConcurrencyCap.valid(queue: queue, customer: customer, maxRunning: maxRunning)
        _ = try await changeCap(cap.queue, cap.customer) { db in
            try db.execute(
                sql: """
                    INSERT INTO concurrency_caps (queue, customer, max_running) VALUES (?, ?, ?)
                    ON CONFLICT (queue, customer) DO UPDATE SET max_running = excluded.max_running
                    """,
                arguments: [cap.queue ?? "", cap.customer ?? "", cap.maxRunning])
        }
        return cap
    }

    public func removeCap(queue: String?, customer: String?) async throws -> Bool {
        let target = try Pause.validTarget(queue: queue, customer: customer)
        return try await changeCap(target.queue, target.customer) { db in
            try db.execute(
                sql: "DELETE FROM concurrency_caps WHERE queue = ? AND customer = ?",
                arguments: [target.queue ?? "", target.customer ?? ""])
        }
    }

    public func caps() async throws -> [ConcurrencyCap] {
        try await read { db, _ in try Self.caps(db) }
    }

    /// Every cap, or (with `queues`) those that can bind a claim of those queues: theirs, and the
    /// caps of every queue.
    static func caps(_ db: Database, queues: [String]? = nil) throws -> [ConcurrencyCap] {
        let rows: [Row]
        if let queues {
            // Cached per number of queues: a claim names the same few queues again and again.
            rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT queue, customer, max_running FROM concurrency_caps
                        WHERE queue = '' OR queue IN (\(queues.map { _ in "?" }.joined(separator: ", ")))
                        ORDER BY queue, customer
                        """), arguments: StatementArguments(queues))
        } else {
            rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT queue, customer, max_running FROM concurrency_caps ORDER BY queue, customer"))
        }
        return rows.map { row in
            let queue: String = row["queue"]
            let customer: String = row["customer"]
            return ConcurrencyCap(
                queue: queue.isEmpty ? nil : queue, customer: customer.isEmpty ? nil : customer,
                maxRunning: row["max_running"])
        }
    }

    /// The room under `caps` of each candidate (none when there are no caps), from the jobs
    /// running now: exact, since the claim counting them holds the write lock.
    static func rooms(_ candidates: [QueueShare], caps: [ConcurrencyCap], _ db: Database) throws -> [CapRoom] {
        guard !caps.isEmpty else { return [] }
        var running: [ConcurrencyCap: Int] = [:]
        for cap in caps where candidates.contains(where: { cap.binds(queue: $0.queue, customer: $0.customer) }) {
            running[cap] =
                try Int.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT count(*) FROM jobs INDEXED BY jobs_running_lease
                            WHERE state = 'running' AND (?1 = '' OR queue = ?1) AND (?2 = '' OR customer = ?2)
                            """), arguments: [cap.queue ?? "", cap.customer ?? ""]) ?? 0
        }
        return candidates.map { share in
            CapRoom(queue: share.queue, customer: share.customer, caps: caps) { running[$0] ?? 0 }
        }
    }

    /// Runs `change` and, when it changed a row, rings the queues the target's jobs wait on.
    private func changeCap(
        _ queue: String?, _ customer: String?, _ change: @escaping @Sendable (Database) throws -> Void
    ) async throws -> Bool {
        let queues = try await write { db, _ -> [String]? in
            try change(db)
            guard db.changesCount > 0 else { return nil }
            return try Self.waitingQueues(queue: queue, customer: customer ?? "", db)
        }
        guard let queues else { return false }
        wakeups.ring(queues)
        return true
    }
}
