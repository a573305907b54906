public import ConveyorCore
public import Foundation
import Synchronization

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

/// DashboardSessions holds the signed-in sessions of one server, each by the SHA-256 of its
/// cookie's random token: the token itself is kept only by the browser, so a copy of this table
/// (a heap dump, a log) signs no one in. Signing out or expiring removes the entry, so the cookie
/// is worthless from then on, whatever the browser keeps.
public final class DashboardSessions: Sendable {
    /// The most sessions held; past it the one nearest to expiry gives way, so a client signing
    /// in again and again cannot grow the table without bound.
    static let capacity = 10_000

    let clock: any WallClock
    let lifetime: Duration
    let readOnly: Bool
    private let sessions = Mutex<[String: DashboardSession]>([:])

    /// Sessions that last `lifetime` from sign-in; with `readOnly`, none of them may act.
    public init(clock: any WallClock = SystemClock(), lifetime: Duration = .seconds(12 * 3600), readOnly: Bool = false)
    {
        self.clock = clock
        self.lifetime = lifetime
        self.readOnly = readOnly
    }

    /// Opens a session for an accepted key; returns the cookie's token (shown to the browser only).
    public func open(for key: APIKey) -> (token: String, session: DashboardSession) {
        let now = clock.now()
        let token = Self.randomToken()
        let session = DashboardSession(
            caller: key.customer.map { .customer($0, keyID: key.id) } ?? .admin(keyID: key.id),
            keyPrefix: key.prefix, csrfToken: Self.randomToken(), expiresAt: now.adding(lifetime),
            canAct: !readOnly)
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expiresAt > now }
            if sessions.count >= Self.capacity,
                let oldest = sessions.min(by: { $0.value.expiresAt < $1.value.expiresAt })
            {
                sessions[oldest.key] = nil
            }
            sessions[SHA256Hex.of(token)] = session
        }
        return (token, session)
    }

    /// The live session of a cookie's token, or nil (unknown, signed out or expired).
    public func session(token: String) -> DashboardSession? {
        let now = clock.now()
        let hash = SHA256Hex.of(token)
        return sessions.withLock { sessions in
            guard let session = sessions[hash] else { return nil }
            guard session.expiresAt > now else {
                sessions[hash] = nil
                return nil
            }
            return session
        }
    }

    /// Ends the session of this token (signing out).
    public func close(token: String) {
        let hash = SHA256Hex.of(token)
        _ = sessions.withLock { $0.removeValue(forKey: hash) }
    }

    /// 32 random bytes from the system's cryptographic generator, as URL-safe base 64 (no padding).
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0 ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
