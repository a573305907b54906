public import Foundation

/// SessionStore keeps the dashboard's sign-ins in the database, so that every `serve` sharing it
/// knows them: a user signed in through one node is signed in on all, and stays so across a
/// restart; signing out or revoking the key ends the session everywhere. Only the SHA-256 of a
/// session's token is stored — the token itself lives in the browser's cookie alone — so a copy of
/// the table signs no one in.
public protocol SessionStore: Sendable {
    /// Records a session opened now with the key `keyID`, lasting `policy.lifetime` at most. The
    /// key's oldest sessions beyond `policy.maximumPerKey` end, and so does every expired session.
    func openSession(
        tokenHash: String, keyID: String, csrfToken: String, policy: SessionPolicy
    )
        async throws -> StoredSession

    /// The live session whose token hashes to `tokenHash`: nil when there is none, it was closed,
    /// its lifetime has passed, it has been idle for `policy.idleTimeout`, or its key is revoked.
    /// A use more than `policy.useRecordingInterval` after the last one recorded is recorded.
    func session(tokenHash: String, policy: SessionPolicy) async throws -> StoredSession?

    /// Ends a session (signing out); ending one that does not exist changes nothing.
    func closeSession(tokenHash: String) async throws
}

/// SessionPolicy is how long dashboard sessions last and how many a key may hold.
public struct SessionPolicy: Sendable, Hashable {
    /// The longest a session lasts from sign-in (`DASHBOARD_SESSION_HOURS`, default 12 h).
    public var lifetime: Duration
    /// A session unused this long ends (`DASHBOARD_IDLE_MINUTES`, default 60).
    public var idleTimeout: Duration
    /// The most sessions one key holds; signing in past it ends the key's oldest (default 20).
    public var maximumPerKey: Int

    /// Creates a policy; every argument defaults to the documented default.
    public init(
        lifetime: Duration = .seconds(12 * 3600), idleTimeout: Duration = .seconds(3600), maximumPerKey: Int = 20
    ) {
        self.lifetime = lifetime
        self.idleTimeout = idleTimeout
        self.maximumPerKey = maximumPerKey
    }

    /// How often a session's use is written: a write on every page would be one every two seconds
    /// per open tab (the live parts). A sixtieth of the idle timeout, at most a minute, so a
    /// session may end that much before its idle timeout, never after.
    public var useRecordingInterval: Duration { min(idleTimeout / 60, .seconds(60)) }
}

/// StoredSession is a live dashboard session as the store keeps it, with the key it was opened with.
public struct StoredSession: Sendable, Hashable {
    /// The SHA-256 of the cookie's token, lower-case hex.
    public let tokenHash: String
    /// The key the session was opened with (never revoked: a revoked key's sessions are not found).
    public let key: APIKey
    /// Every state-changing request of the session carries it (a form field).
    public let csrfToken: String
    public let openedAt: Date
    /// The last use recorded (see `SessionPolicy.useRecordingInterval`).
    public let lastUsedAt: Date
    /// When the session ends at the latest, idle or not.
    public let expiresAt: Date

    public init(tokenHash: String, key: APIKey, csrfToken: String, openedAt: Date, lastUsedAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.key = key
        self.csrfToken = csrfToken
        self.openedAt = openedAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
    }

    /// Whether the session is live at `now` under `policy`: within its lifetime and not idle.
    public func isLive(at now: Date, policy: SessionPolicy) -> Bool {
        now < expiresAt && now < lastUsedAt.adding(policy.idleTimeout) && !key.isRevoked
    }
}
