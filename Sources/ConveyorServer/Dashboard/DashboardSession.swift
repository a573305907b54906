public import ConveyorCore
public import Foundation

/// DashboardSession is one browser signed in to the dashboard with an API key: who the key speaks
/// for, the token its forms must carry, and until when it holds.
public struct DashboardSession: Sendable, Hashable {
    /// Who the key speaks for: an admin sees everything, a customer its own work.
    public let caller: Caller
    /// The lookup prefix of the key signed in with: the session ends when that key is revoked.
    public let keyPrefix: String
    /// Every state-changing request of this session carries it (a hidden form field); a page of
    /// another site cannot read it, so it cannot forge one.
    public let csrfToken: String
    public let expiresAt: Date
    /// Whether this session may change anything: not in the read-only mode.
    public let canAct: Bool
}

/// DashboardSessions are the dashboard's sign-ins, kept by the store (`SessionStore`) so that
/// every `serve` on the same database knows them, by the SHA-256 of the cookie's random token: the
/// token itself is kept only by the browser, so a copy of the table (a backup, a log) signs no one
/// in. Signing out, expiring, idling past the idle timeout or revoking the key ends a session on
/// every node, so the cookie is worthless from then on, whatever the browser keeps.
public final class DashboardSessions: Sendable {
    let store: any SessionStore
    let policy: SessionPolicy
    let readOnly: Bool

    /// Sessions in `store` under `policy`; with `readOnly`, none of them may act.
    public init(store: any SessionStore, policy: SessionPolicy = SessionPolicy(), readOnly: Bool = false) {
        self.store = store
        self.policy = policy
        self.readOnly = readOnly
    }

    /// Opens a session for an accepted key; returns the cookie's token (shown to the browser only).
    public func open(for key: APIKey) async throws -> (token: String, session: DashboardSession) {
        let token = Self.randomToken()
        let stored = try await store.openSession(
            tokenHash: SHA256Hex.of(token), keyID: key.id, csrfToken: Self.randomToken(), policy: policy)
        return (token, session(stored))
    }

    /// The live session of a cookie's token, or nil (unknown, signed out, expired, idle, or its key revoked).
    public func session(token: String) async throws -> DashboardSession? {
        try await store.session(tokenHash: SHA256Hex.of(token), policy: policy).map(session)
    }

    /// Ends the session of this token (signing out), on every node.
    public func close(token: String) async throws {
        try await store.closeSession(tokenHash: SHA256Hex.of(token))
    }

    private func session(_ stored: StoredSession) -> DashboardSession {
        let key = stored.key
        return DashboardSession(
            caller: key.customer.map { .customer($0, keyID: key.id) } ?? .admin(keyID: key.id),
            keyPrefix: key.prefix, csrfToken: stored.csrfToken, expiresAt: stored.expiresAt, canAct: !readOnly)
    }

    /// 32 random bytes from the system's cryptographic generator, as URL-safe base 64 (no padding).
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0 ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
