public import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobStore's dashboard sessions (`SessionStore`), shared by every serve on the database.
extension PostgresJobStore {
    /// The key's columns first (`decodeKey`), then the session's.
    static let sessionColumns = """
        \(keyColumns), s.token_hash, s.csrf_token, (extract(epoch from s.opened_at) * 1000)::int8,
        (extract(epoch from s.last_used_at) * 1000)::int8, (extract(epoch from s.expires_at) * 1000)::int8
        """

    public func openSession(
        tokenHash: String, keyID: String, csrfToken: String, policy: SessionPolicy
    )
        async throws -> StoredSession
    {
        let logger = self.logger
        return try await transaction { connection, now in
            let now = now.unixMilliseconds
            let (lifetime, idle) = (Int64(policy.lifetime.milliseconds), Int64(policy.idleTimeout.milliseconds))
            // Ended sessions go here rather than in a service of their own: a table of sign-ins
            // grows only when someone signs in.
            try await connection.query(
                """
                DELETE FROM dashboard_sessions
                WHERE expires_at <= to_timestamp(\(now) / 1000.0) OR last_used_at <= to_timestamp(\(now - idle) / 1000.0)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO dashboard_sessions (token_hash, key_id, csrf_token, opened_at, last_used_at, expires_at)
                VALUES (\(tokenHash), \(keyID), \(csrfToken), to_timestamp(\(now) / 1000.0),
                        to_timestamp(\(now) / 1000.0), to_timestamp(\(now + lifetime) / 1000.0))
                """, logger: logger)
            try await connection.query(
                """
                DELETE FROM dashboard_sessions WHERE key_id = \(keyID) AND seq NOT IN (
                    SELECT seq FROM dashboard_sessions WHERE key_id = \(keyID)
                    ORDER BY seq DESC LIMIT \(Int64(policy.maximumPerKey)))
                """, logger: logger)
            guard let session = try await Self.session(connection, tokenHash, logger) else {
                throw JobStoreError.apiKeyNotFound(id: keyID)
            }
            return session
        }
    }

    public func session(tokenHash: String, policy: SessionPolicy) async throws -> StoredSession? {
        let logger = self.logger
        return try await read { connection, now in
            guard let session = try await Self.session(connection, tokenHash, logger),
                session.isLive(at: now, policy: policy)
            else { return nil }
            guard now >= session.lastUsedAt.adding(policy.useRecordingInterval) else { return session }
            try await connection.query(
                """
                UPDATE dashboard_sessions SET last_used_at = to_timestamp(\(now.unixMilliseconds) / 1000.0)
                WHERE token_hash = \(tokenHash)
                """, logger: logger)
            // Read again, and judged again: a sign-out or revocation may have come in between.
            return try await Self.session(connection, tokenHash, logger).flatMap {
                $0.isLive(at: now, policy: policy) ? $0 : nil
            }
        }
    }

    public func closeSession(tokenHash: String) async throws {
        let logger = self.logger
        _ = try await read { connection, _ in
            try await connection.query("DELETE FROM dashboard_sessions WHERE token_hash = \(tokenHash)", logger: logger)
        }
    }

    private static func session(
        _ connection: PostgresConnection, _ tokenHash: String, _ logger: Logger
    ) async throws -> StoredSession? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: sessionColumns)
            FROM dashboard_sessions s JOIN api_keys ON api_keys.id = s.key_id WHERE s.token_hash = \(tokenHash)
            """, logger: logger
        ).collect()
        guard let row = rows.first else { return nil }
        let key = try decodeKey(row)
        let columns = row.makeRandomAccess()
        return StoredSession(
            tokenHash: try columns[6].decode(String.self), key: key, csrfToken: try columns[7].decode(String.self),
            openedAt: Date(unixMilliseconds: try columns[8].decode(Int64.self)),
            lastUsedAt: Date(unixMilliseconds: try columns[9].decode(Int64.self)),
            expiresAt: Date(unixMilliseconds: try columns[10].decode(Int64.self)))
    }
}
