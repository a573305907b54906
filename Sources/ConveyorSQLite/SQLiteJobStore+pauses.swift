public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's pauses (`PauseStore`); `claim` leaves out the shares they hold.
extension SQLiteJobStore {
    public func pause(queue: String?, customer: String?) async throws -> Pause {
        let target = try Pause.validTarget(queue: queue, customer: customer)
        return try await write { db, now in
            try db.execute(
                sql: "INSERT INTO pauses (queue, customer, paused_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [target.queue ?? "", target.customer ?? "", now.unixMilliseconds])
            let since: Int64 =
                try Int64.fetchOne(
                    db, sql: "SELECT paused_at FROM pauses WHERE queue = ? AND customer = ?",
                    arguments: [target.queue ?? "", target.customer ?? ""]) ?? now.unixMilliseconds
            return Pause(queue: target.queue, customer: target.customer, pausedAt: Date(unixMilliseconds: since))
        }
    }

    public func resume(queue: String?, customer: String?) async throws -> Bool {
        let target = try Pause.validTarget(queue: queue, customer: customer)
        let (lifted, queues) = try await write { db, _ -> (Bool, [String]) in
            try db.execute(
                sql: "DELETE FROM pauses WHERE queue = ? AND customer = ?",
                arguments: [target.queue ?? "", target.customer ?? ""])
            guard db.changesCount > 0 else { return (false, []) }
            // A share held back rejoins at its queue's current virtual time, as one arriving
            // does: the time it was paused is no credit to claim ahead of the others with.
            try db.execute(
                sql: """
                    UPDATE queue_shares SET pass = max(pass, coalesce((
                        SELECT min(other.pass) FROM queue_shares AS other
                        WHERE other.queue = queue_shares.queue AND other.customer <> queue_shares.customer
                          AND other.ready_at IS NOT NULL), pass))
                    WHERE ready_at IS NOT NULL AND (?1 = '' OR queue = ?1) AND (?2 = '' OR customer = ?2)
                    """,
                arguments: [target.queue ?? "", target.customer ?? ""])
            return (true, try Self.waitingQueues(queue: target.queue, customer: target.customer ?? "", db))
        }
        wakeups.ring(queues)
        return lifted
    }

    public func pauses() async throws -> [Pause] {
        try await read { db, _ in
            try Row.fetchAll(db, sql: "SELECT queue, customer, paused_at FROM pauses ORDER BY queue, customer").map {
                row in
                let queue: String = row["queue"]
                let customer: String = row["customer"]
                return Pause(
                    queue: queue.isEmpty ? nil : queue, customer: customer.isEmpty ? nil : customer,
                    pausedAt: Date(unixMilliseconds: row["paused_at"]))
            }
        }
    }
}

extension SQLiteJobStore {
    /// The queues a rule on this target held jobs back on: the queue, or else every queue where
    /// the customer has jobs waiting.
    static func waitingQueues(queue: String?, customer: String, _ db: Database) throws -> [String] {
        if let queue { return [queue] }
        return try String.fetchAll(
            db, sql: "SELECT queue FROM queue_shares WHERE customer = ? AND ready_at IS NOT NULL", arguments: [customer]
        )
    }
}
