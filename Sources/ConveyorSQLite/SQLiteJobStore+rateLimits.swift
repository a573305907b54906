public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's rate-limit decisions (`RateLimitStore`).
extension SQLiteJobStore {
    /// One write transaction: SQLite lets one writer in at a time (processes sharing the file
    /// included), so reading the key's hits, deciding and writing them back is atomic. The time is
    /// SQLite's own `now`, read inside the transaction.
    public func rateLimit(_ key: RateLimitKey, policy: RateLimitPolicy) async throws -> RateLimitDecision {
        try await write { db, _ in try Self.decide(1, of: key, policy: policy, in: db)[0] }
    }

    /// One write transaction for all the requests (SQLite has one writer: deciding each in a
    /// transaction of its own made a busy API queue its decisions behind each other).
    public func apiKeys(_ requests: [KeyLookupRequest], deciding policy: RateLimitPolicy) async throws -> [KeyLookup] {
        try await write { db, _ in
            var found: [KeyLookupRequest: (key: APIKey?, decisions: [RateLimitDecision])] = [:]
            for (request, count) in requests.grouped {
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(sql: "SELECT * FROM api_keys WHERE prefix = ?"), arguments: [request.prefix])
                else { continue }
                let key = Self.decodeKey(row)
                guard let customer = key.customer, APIKeySecret.hashesMatch(key.secretHash, request.secretHash),
                    !key.isRevoked
                else {
                    found[request] = (key, [])
                    continue
                }
                found[request] = (key, try Self.decide(count, of: .customer(customer), policy: policy, in: db))
            }
            return requests.distributing(found)
        }
    }

    /// Decides `requests` requests of `key` together, in turn (`SlidingWindowLog.decide(_:…)`).
    private static func decide(
        _ requests: Int, of key: RateLimitKey, policy: RateLimitPolicy, in db: Database
    ) throws -> [RateLimitDecision] {
        let now = try Int64.fetchOne(db.cachedStatement(sql: databaseNow)) ?? 0
        var policy = policy
        if let customer = key.customer,
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT rate_limit_requests, rate_limit_window_seconds FROM customers WHERE name = ?"),
                arguments: [customer]),
            let own = RateLimitPolicy.stored(
                requests: row["rate_limit_requests"], windowSeconds: row["rate_limit_window_seconds"])
        {
            policy = own
        }
        let key = key.description
        let cutoff = now - policy.windowMilliseconds
        let counted =
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT in_window FROM rate_limit_requests WHERE key = ?"), arguments: [key])
            ?? 0
        // The milliseconds that left the window: each is deleted, and its count read, once.
        let expired = try Int.fetchAll(
            db.cachedStatement(sql: "DELETE FROM rate_limit_hits WHERE key = ? AND at <= ? RETURNING count"),
            arguments: [key, cutoff]
        ).reduce(0, +)
        let oldest = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT min(at) FROM rate_limit_hits WHERE key = ?"), arguments: [key])
        let inWindow = counted - expired
        let allowed = SlidingWindowLog.allowed(requests, inWindow: inWindow, policy: policy)
        if allowed > 0 {
            try db.cachedStatement(
                sql: """
                    INSERT INTO rate_limit_hits (key, at, count) VALUES (?, ?, ?)
                    ON CONFLICT (key, at) DO UPDATE SET count = count + excluded.count
                    """
            ).execute(arguments: [key, now, allowed])
            try db.cachedStatement(
                sql: """
                    INSERT INTO rate_limit_requests (key, in_window, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET
                        in_window = excluded.in_window, expires_at = max(expires_at, excluded.expires_at)
                    """
            ).execute(arguments: [key, inWindow + allowed, now + policy.windowMilliseconds])
        } else if expired > 0 {
            try db.cachedStatement(sql: "UPDATE rate_limit_requests SET in_window = ? WHERE key = ?").execute(
                arguments: [inWindow, key])
        }
        return SlidingWindowLog.decide(requests, inWindow: inWindow, oldest: oldest, now: now, policy: policy)
    }

    public func pruneRateLimits() async throws -> Int {
        try await write { db, _ in
            let now = try Int64.fetchOne(db, sql: Self.databaseNow) ?? 0
            try db.execute(
                sql: """
                    DELETE FROM rate_limit_hits
                    WHERE key IN (SELECT key FROM rate_limit_requests WHERE expires_at <= ?)
                    """, arguments: [now])
            try db.execute(sql: "DELETE FROM rate_limit_requests WHERE expires_at <= ?", arguments: [now])
            return db.changesCount
        }
    }

    /// SQLite's clock in milliseconds since the epoch.
    private static let databaseNow = "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
}
