public import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobStore's rate-limit decisions (`RateLimitStore`).
extension PostgresJobStore {
    public func rateLimit(_ key: RateLimitKey, policy: RateLimitPolicy) async throws -> RateLimitDecision {
        let logger = self.logger
        let rows = try await read { connection, _ in
            try await connection.all(
                DecideRateLimit(
                    key: key.description, requests: Int64(policy.requests), windowSeconds: Int64(policy.windowSeconds),
                    customer: key.customer), logger: logger)
        }
        guard let (allowed, inWindow, oldest, quota, windowMs, now) = rows.first else {
            throw JobStoreError.unavailable(reason: "the rate-limit decision did not come back")
        }
        let decidedBy = RateLimitPolicy.stored(requests: quota, windowSeconds: windowMs / 1000) ?? policy
        return RateLimitDecision(allowed: allowed, policy: decidedBy, inWindow: Int(inWindow), oldest: oldest, now: now)
    }

    public func apiKey(prefix: String, secretHash: String, deciding policy: RateLimitPolicy) async throws -> KeyLookup {
        let logger = self.logger
        let rows = try await read { connection, _ in
            try await connection.all(
                FindKeyAndDecide(
                    prefix: prefix, secretHash: secretHash, requests: Int64(policy.requests),
                    windowSeconds: Int64(policy.windowSeconds)), logger: logger)
        }
        guard let (key, decided) = rows.first else { return KeyLookup(key: nil, rateLimit: nil) }
        guard let (allowed, inWindow, oldest, quota, windowMs, now) = decided else {
            return KeyLookup(key: key, rateLimit: nil)
        }
        let decidedBy = RateLimitPolicy.stored(requests: quota, windowSeconds: windowMs / 1000) ?? policy
        return KeyLookup(
            key: key,
            rateLimit: RateLimitDecision(
                allowed: allowed, policy: decidedBy, inWindow: Int(inWindow), oldest: oldest, now: now))
    }

    public func pruneRateLimits() async throws -> Int {
        let logger = self.logger
        return try await read { connection, _ in
            let rows = try await connection.query(
                """
                WITH deleted AS (
                    DELETE FROM rate_limit_requests WHERE expires_at <= clock_timestamp() RETURNING key
                ), hits AS (
                    DELETE FROM rate_limit_hits h USING deleted WHERE h.key = deleted.key
                )
                SELECT count(*)::int8 FROM deleted
                """, logger: logger
            ).collect()
            return try rows.first?.decode(Int.self) ?? 0
        }
    }
}
