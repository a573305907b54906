public import ConveyorCore
import Crypto
import Foundation
import PostgresNIO

/// Leadership on PostgreSQL: a session advisory lock, keyed by the role, held on a connection of
/// its own. The server releases it the moment that connection ends — the leader exiting, crashing
/// or losing the network — so a follower's next try (every `retry`) takes over. The leader checks
/// its connection every `retry`, and stops leading if the check fails.
extension PostgresJobStore {
    public func lead(_ role: String, retry: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws
    {
        let key = Self.lockKey(for: role, schema: options.schema)
        let holder = Leadership.newHolder()
        let logger = self.logger
        // Long enough for a loaded machine (a one-second bound ended terms of a 100 ms campaign
        // under the full test suite), short enough to notice a query that never returns.
        let bound = Duration.seconds(10)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    // Every query on the lock's connection is bounded (`abandoning`): one sent as
                    // the server closed the connection was seen never to return.
                    let bound = bound
                    @Sendable func run(_ query: PostgresQuery) async throws -> [PostgresRow] {
                        try await abandoning(after: bound) {
                            try await connection.query(query, logger: logger).collect()
                        }
                    }
                    let rows: [PostgresRow]
                    do {
                        rows = try await run("SELECT pg_try_advisory_lock(\(key))")
                    } catch {
                        // Abandoned, the lock may still have been taken on a connection that does
                        // not answer: closed, it cannot go back to the pool holding it.
                        if !connection.isClosed {
                            await Task {
                                _ = try? await abandoning(after: .seconds(1)) { try await connection.close() }
                            }.value
                        }
                        throw error
                    }
                    guard try rows.first?.decode(Bool.self) == true else { return }
                    // Whatever ends the term — the body, a lost connection, cancellation (a shutdown) —
                    // the role is handed back before the connection returns to the pool; otherwise the
                    // pooled connection would keep the lock and no follower could take over.
                    var ended: (any Error)?
                    // Cancelled while the lock was being taken: hand it straight back instead of
                    // leading for a moment.
                    if !Task.isCancelled {
                        do {
                            let since = self.clock.now().unixMilliseconds
                            _ = try await run(
                                """
                                INSERT INTO maintenance_leaders (role, holder, backend_pid, lock_key, since)
                                VALUES (\(role), \(holder), pg_backend_pid(), \(key), to_timestamp(\(since) / 1000.0))
                                ON CONFLICT (role) DO UPDATE SET holder = EXCLUDED.holder,
                                    backend_pid = EXCLUDED.backend_pid, lock_key = EXCLUDED.lock_key, since = EXCLUDED.since
                                """)
                            try await withThrowingTaskGroup(of: Void.self) { group in
                                group.addTask { try await body() }
                                group.addTask {
                                    // Holding the lock means holding this connection: check it
                                    // stays up. Its close (a restart, pg_terminate_backend) is
                                    // seen within a tenth of a second; a query is sent only to an
                                    // open connection, since one sent to a closed connection was
                                    // seen never to return (the term then never ended, and the
                                    // process could not shut down). A connection that silently
                                    // stops answering is found by the query every `retry`.
                                    var sinceQuery = Duration.zero
                                    let step = min(retry, .milliseconds(100))
                                    while true {
                                        try await Task.sleep(for: step)
                                        guard !connection.isClosed else { throw LeaderConnectionClosed() }
                                        sinceQuery += step
                                        if sinceQuery >= retry {
                                            sinceQuery = .zero
                                            _ = try await run("SELECT 1")
                                        }
                                    }
                                }
                                try await group.next()
                                group.cancelAll()
                            }
                        } catch {
                            ended = error
                        }
                    }
                    // In a task of its own, which does not inherit the campaign's cancellation, and
                    // within two seconds: a shutdown waits for it. A closed connection holds nothing
                    // any more (the server released the lock); one that does not answer may still
                    // hold it, and closing it is the one sure way to give the role back.
                    if !connection.isClosed {
                        let handedBack = await Task {
                            (try? await abandoning(after: .seconds(2)) {
                                _ = try await connection.query(
                                    "DELETE FROM maintenance_leaders WHERE role = \(role) AND holder = \(holder)",
                                    logger: logger
                                ).collect()
                                _ = try await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                                    .collect()
                                return true
                            }) ?? false
                        }.value
                        if !handedBack {
                            await Task {
                                _ = try? await abandoning(after: .seconds(1)) { try await connection.close() }
                            }.value
                        }
                    }
                    if let ended { throw ended }
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

    /// The row the leader wrote, when its backend still holds the role's lock (a bigint advisory
    /// lock shows in pg_locks as classid = high 32 bits, objid = low 32 bits, objsubid = 1).
    public func leader(of role: String) async throws -> Leadership? {
        let logger = self.logger
        return try await read { connection, _ in
            let rows = try await connection.query(
                """
                SELECT m.holder, (extract(epoch FROM m.since) * 1000)::int8 FROM maintenance_leaders m
                WHERE m.role = \(role) AND EXISTS (
                    SELECT 1 FROM pg_locks l
                    WHERE l.locktype = 'advisory' AND l.granted AND l.pid = m.backend_pid AND l.objsubid = 1
                      AND l.classid::int8 = (m.lock_key >> 32) & 4294967295 AND l.objid::int8 = m.lock_key & 4294967295)
                """, logger: logger
            ).collect()
            guard let row = rows.first else { return nil }
            let (holder, since) = try row.decode((String, Int64).self)
            return Leadership(role: role, holder: holder, since: Date(unixMilliseconds: since))
        }
    }

    /// A stable 64-bit key per role.
    /// The advisory lock of `role` for the deployment whose tables are in `schema`: advisory locks
    /// belong to the database, so deployments in two schemas of one database each elect their own.
    static func lockKey(for role: String, schema: String?) -> Int64 {
        let scope = schema.map { "\($0):" } ?? ""
        let digest = Array(SHA256.hash(data: Data(("conveyor-leader:" + scope + role).utf8)))
        return digest.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}

/// LeaderConnectionClosed ends a term whose lock connection the server closed.
struct LeaderConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the connection holding the leader's lock was closed" }
}
