public import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobStore's pauses (`PauseStore`); the claim statement leaves out the shares they hold.
extension PostgresJobStore {
    public func pause(queue: String?, customer: String?) async throws -> Pause {
        let target = try Pause.validTarget(queue: queue, customer: customer)
        // Stored as '' for "every": the key of the table.
        let (pausedQueue, pausedCustomer) = (target.queue ?? "", target.customer ?? "")
        let logger = self.logger
        let since = try await read { connection, now -> Int64 in
            let rows: [Int64] = try await connection.query(
                """
                WITH added AS (
                    INSERT INTO pauses (queue, customer, paused_at)
                    VALUES (\(pausedQueue), \(pausedCustomer), to_timestamp(\(now.unixMilliseconds) / 1000.0))
                    ON CONFLICT DO NOTHING RETURNING paused_at)
                SELECT (extract(epoch FROM paused_at) * 1000)::int8 FROM added
                UNION ALL
                SELECT (extract(epoch FROM paused_at) * 1000)::int8 FROM pauses
                WHERE queue = \(pausedQueue) AND customer = \(pausedCustomer)
                """, logger: logger
            ).collect().map { try $0.decode(Int64.self) }
            return rows.first ?? now.unixMilliseconds
        }
        return Pause(queue: target.queue, customer: target.customer, pausedAt: Date(unixMilliseconds: since))
    }

    /// Announces the queues it held back (NOTIFY, at commit), so that every host's idle workers claim.
    public func resume(queue: String?, customer: String?) async throws -> Bool {
        let target = try Pause.validTarget(queue: queue, customer: customer)
        // Stored as '' for "every": the key of the table.
        let (pausedQueue, pausedCustomer) = (target.queue ?? "", target.customer ?? "")
        let logger = self.logger
        let queues = try await transaction { connection, _ -> [String]? in
            let deleted = try await connection.query(
                """
                DELETE FROM pauses WHERE queue = \(pausedQueue) AND customer = \(pausedCustomer)
                RETURNING queue
                """, logger: logger
            ).collect()
            guard !deleted.isEmpty else { return nil }
            // A share held back rejoins at its queue's current virtual time, as one arriving
            // does: the time it was paused is no credit to claim ahead of the others with.
            try await connection.query(
                """
                UPDATE queue_shares AS share SET pass = greatest(share.pass, coalesce((
                    SELECT min(other.pass) FROM queue_shares AS other
                    WHERE other.queue = share.queue AND other.customer <> share.customer
                      AND other.ready_at IS NOT NULL), share.pass))
                WHERE share.ready_at IS NOT NULL
                  AND (\(pausedQueue) = '' OR share.queue = \(pausedQueue))
                  AND (\(pausedCustomer) = '' OR share.customer = \(pausedCustomer))
                """, logger: logger)
            let queues = try await Self.waitingQueues(
                queue: target.queue, customer: pausedCustomer, connection, logger: logger)
            try await Self.notify(queues, connection, logger: logger)
            return queues
        }
        guard let queues else { return false }
        wakeups.ring(queues)
        return true
    }

    public func pauses() async throws -> [Pause] {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                "SELECT queue, customer, (extract(epoch FROM paused_at) * 1000)::int8 FROM pauses ORDER BY queue, customer",
                logger: logger
            ).collect().map { row in
                let (queue, customer, since) = try row.decode((String, String, Int64).self)
                return Pause(
                    queue: queue.isEmpty ? nil : queue, customer: customer.isEmpty ? nil : customer,
                    pausedAt: Date(unixMilliseconds: since))
            }
        }
    }
}

extension PostgresJobStore {
    /// The queues a rule on this target held jobs back on: the queue, or else every queue where
    /// the customer has jobs waiting.
    static func waitingQueues(
        queue: String?, customer: String, _ connection: PostgresConnection, logger: Logger
    ) async throws -> [String] {
        if let queue { return [queue] }
        return try await connection.query(
            "SELECT queue FROM queue_shares WHERE customer = \(customer) AND ready_at IS NOT NULL", logger: logger
        ).collect().map { try $0.decode(String.self) }
    }
}
