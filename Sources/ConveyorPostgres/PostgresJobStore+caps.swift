public import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobStore's concurrency caps (`CapStore`); the claim statement counts the running jobs
/// under them (`conveyor_running`).
extension PostgresJobStore {
    /// Announces the queues the target's jobs wait on (NOTIFY, at commit): a raised cap may let
    /// idle workers on every host claim.
    public func setCap(queue: String?, customer: String?, maxRunning: Int) async throws -> ConcurrencyCap {
        let cap = try ConcurrencyCap.valid(queue: queue, customer: customer, maxRunning: maxRunning)
        _ = try await changeCap(cap.queue, cap.customer) { connection, capQueue, capCustomer in
            try await connection.query(
                """
                INSERT INTO concurrency_caps (queue, customer, max_running)
                VALUES (\(capQueue), \(capCustomer), \(cap.maxRunning))
                ON CONFLICT (queue, customer) DO UPDATE SET max_running = EXCLUDED.max_running
                """, logger: self.logger)
            return true
        }
        return cap
    }

    public func removeCap(queue: String?, customer: String?) async throws -> Bool {
        let target = try Pause.validTarget(queue: queue, customer: customer)
        return try await changeCap(target.queue, target.customer) { connection, capQueue, capCustomer in
            try await !connection.query(
                """
                DELETE FROM concurrency_caps WHERE queue = \(capQueue) AND customer = \(capCustomer) RETURNING queue
                """, logger: self.logger
            ).collect().isEmpty
        }
    }

    public func caps() async throws -> [ConcurrencyCap] {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                "SELECT queue, customer, max_running::int8 FROM concurrency_caps ORDER BY queue, customer",
                logger: logger
            ).collect().map { row in
                let (queue, customer, maxRunning) = try row.decode((String, String, Int64).self)
                return ConcurrencyCap(
                    queue: queue.isEmpty ? nil : queue, customer: customer.isEmpty ? nil : customer,
                    maxRunning: Int(maxRunning))
            }
        }
    }

    /// Runs `change` on the stored key of the target ('' for "every") and, when it changed
    /// something, rings the queues the target's jobs wait on, here and (NOTIFY) on every host.
    private func changeCap(
        _ queue: String?, _ customer: String?,
        _ change: @escaping @Sendable (PostgresConnection, String, String) async throws -> Bool
    ) async throws -> Bool {
        let logger = self.logger
        let queues = try await transaction { connection, _ -> [String]? in
            guard try await change(connection, queue ?? "", customer ?? "") else { return nil }
            let queues = try await Self.waitingQueues(
                queue: queue, customer: customer ?? "", connection, logger: logger)
            try await Self.notify(queues, connection, logger: logger)
            return queues
        }
        guard let queues else { return false }
        wakeups.ring(queues)
        return true
    }
}
