public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's dashboard sessions (`SessionStore`).
extension SQLiteJobStore {
    public func openSession(
        tokenHash: String, keyID: String, csrfToken: String, policy: SessionPolicy
    )
        async throws -> StoredSession
    {
        try await write { db, now in
            let now = now.unixMilliseconds
            // Ended sessions go here rather than in a service of their own: a table of sign-ins
            // grows only when someone signs in.
            try db.execute(
                sql: "DELETE FROM dashboard_sessions WHERE expires_at <= ? OR last_used_at <= ?",
                arguments: [now, now - Int64(policy.idleTimeout.milliseconds)])
            try db.execute(
                sql: """
                    INSERT INTO dashboard_sessions (token_hash, key_id, csrf_token, opened_at, last_used_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [tokenHash, keyID, csrfToken, now, now, now + Int64(policy.lifetime.milliseconds)])
            try db.execute(
                sql: """
                    DELETE FROM dashboard_sessions WHERE key_id = ? AND seq NOT IN (
                        SELECT seq FROM dashboard_sessions WHERE key_id = ? ORDER BY seq DESC LIMIT ?)
                    """,
                arguments: [keyID, keyID, policy.maximumPerKey])
            guard let row = try Self.sessionRow(db, tokenHash) else {
                throw JobStoreError.apiKeyNotFound(id: keyID)
            }
            return Self.decodeSession(row)
        }
    }

    public func session(tokenHash: String, policy: SessionPolicy) async throws -> StoredSession? {
        let found = try await read { db, now in
            try Self.sessionRow(db, tokenHash).map(Self.decodeSession).flatMap {
                $0.isLive(at: now, policy: policy) ? ($0, now) : nil
            }
        }
        guard let (session, now) = found else { return nil }
        guard now >= session.lastUsedAt.adding(policy.useRecordingInterval) else { return session }
        return try await write { db, now in
            try db.execute(
                sql: "UPDATE dashboard_sessions SET last_used_at = ? WHERE token_hash = ?",
                arguments: [now.unixMilliseconds, tokenHash])
            // Read again, and judged again: a sign-out or revocation may have come in between.
            return try Self.sessionRow(db, tokenHash).map(Self.decodeSession).flatMap {
                $0.isLive(at: now, policy: policy) ? $0 : nil
            }
        }
    }

    public func closeSession(tokenHash: String) async throws {
        try await write { db, _ in
            try db.execute(sql: "DELETE FROM dashboard_sessions WHERE token_hash = ?", arguments: [tokenHash])
        }
    }

    private static func sessionRow(_ db: Database, _ tokenHash: String) throws -> Row? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT s.token_hash, s.csrf_token, s.opened_at, s.last_used_at, s.expires_at, k.*
                FROM dashboard_sessions s JOIN api_keys k ON k.id = s.key_id WHERE s.token_hash = ?
                """,
            arguments: [tokenHash])
    }

    private static func decodeSession(_ row: Row) -> StoredSession {
        StoredSession(
            tokenHash: row["token_hash"], key: decodeKey(row), csrfToken: row["csrf_token"],
            openedAt: Date(unixMilliseconds: row["opened_at"]), lastUsedAt: Date(unixMilliseconds: row["last_used_at"]),
            expiresAt: Date(unixMilliseconds: row["expires_at"]))
    }
}
