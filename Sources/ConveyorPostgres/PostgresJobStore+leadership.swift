public import ConveyorCore
import Crypto
import Foundation
import PostgresNIO

/// Leadership on PostgreSQL: a session advisory lock, keyed by the role, held on a connection of
/// its own. The server releases it the moment that connection ends — the leader exiting, crashing
/// or losing the network — so a follower's next try (every `retry`) takes over. The leader checks
/// its connection every `retry`, and stops leading if the check fails.
extension PostgresJobStore: LeaderElector {
    public func lead(_ role: String, retry: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws
    {
        let key = Self.lockKey(for: role)
        let logger = self.logger
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    let rows = try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger)
                        .collect()
                    guard try rows.first?.decode(Bool.self) == true else { return }
                    // Cancelled while the lock was being taken (a shutdown): hand it straight back
                    // instead of leading for a moment and keeping a follower from taking over.
                    if !Task.isCancelled {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask { try await body() }
                            group.addTask {
                                // Holding the lock means holding this connection: check it stays up.
                                while true {
                                    try await Task.sleep(for: retry)
                                    _ = try await connection.query("SELECT 1", logger: logger).collect()
                                }
                            }
                            try await group.next()
                            group.cancelAll()
                        }
                    }
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger).collect()
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "leadership was lost or could not be sought",
                    metadata: ["role": .string(role), "error": .string(explain(error))])
            }
            try? await Task.sleep(for: retry)
        }
    }

    /// A stable 64-bit key per role.
    static func lockKey(for role: String) -> Int64 {
        let digest = Array(SHA256.hash(data: Data(("conveyor-leader:" + role).utf8)))
        return digest.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}
