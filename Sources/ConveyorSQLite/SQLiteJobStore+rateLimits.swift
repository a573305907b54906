public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's rate-limit decisions (`RateLimitStore`).
extension SQLiteJobStore {
    /// One write transaction: SQLite lets one writer in at a time (processes sharing the file
    /// included), so reading the key's hits, deciding and writing them back is atomic. The time is
    /// SQLite's own `now`, read inside the transaction.
    public func rateLimit(_ key: RateLimitKey, policy: RateLimitPolicy) async throws -> RateLimitDecision {
        try await write { db, _ in try Self.decide(key, policy: policy, in: db) }
    }

    public func apiKey(prefix: String, secretHash: String, deciding policy: RateLimitPolicy) async throws -> KeyLookup {
        try await write { db, _ in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE prefix = ?", arguments: [prefix])
            else { return KeyLookup(key: nil, rateLimit: nil) }
            let key = Self.decodeKey(row)
            guard let customer = key.customer, APIKeySecret.hashesMatch(key.secretHash, secretHash), !key.isRevoked
            else {
                return KeyLookup(key: key, rateLimit: nil)
            }
            return KeyLookup(key: key, rateLimit: try Self.decide(.customer(customer), policy: policy, in: db))
        }
    }

    private static func decide(
        _ key: RateLimitKey, policy: RateLimitPolicy, in db: Database
    ) throws -> RateLimitDecision {
        let now = try Int64.fetchOne(db, sql: databaseNow) ?? 0
        var policy = policy
        if let customer = key.customer,
            let row = try Row.fetchOne(
                db, sql: "SELECT rate_limit_requests, rate_limit_window_seconds FROM customers WHERE name = ?",
                arguments: [customer]),
            let own = RateLimitPolicy.stored(
                requests: row["rate_limit_requests"], windowSeconds: row["rate_limit_window_seconds"])
        {
            policy = own
        }
        let stored = try String.fetchOne(
            db, sql: "SELECT hits FROM rate_limit_requests WHERE key = ?", arguments: [key.description])
        let hits = stored.map { $0.split(separator: ",").compactMap { Int64($0) } } ?? []
        let (decision, kept) = SlidingWindowLog.decide(hits: hits, now: now, policy: policy)
        if decision.allowed {
            try db.execute(
                sql: """
                    INSERT INTO rate_limit_requests (key, hits, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET hits = excluded.hits, expires_at = excluded.expires_at
                    """,
                arguments: [
                    key.description, kept.map(String.init).joined(separator: ","), now + policy.windowMilliseconds,
                ])
        }
        return decision
    }

    public func pruneRateLimits() async throws -> Int {
        try await write { db, _ in
            let now = try Int64.fetchOne(db, sql: Self.databaseNow) ?? 0
            try db.execute(sql: "DELETE FROM rate_limit_requests WHERE expires_at <= ?", arguments: [now])
            return db.changesCount
        }
    }

    /// SQLite's clock in milliseconds since the epoch.
    private static let databaseNow = "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
}
