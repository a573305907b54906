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
        guard let decided = rows.first else {
            throw JobStoreError.unavailable(reason: "the rate-limit decision did not come back")
        }
        return Self.decisions(of: 1, decided, policy: policy)[0]
    }

    public func apiKey(
        prefix: String, secretHash: String, deciding policy: RateLimitPolicy, requests: Int
    ) async throws -> KeyLookup {
        let logger = self.logger
        let rows = try await read { connection, _ in
            try await connection.all(
                FindKeyAndDecide(
                    prefix: prefix, secretHash: secretHash, requests: Int64(policy.requests),
                    windowSeconds: Int64(policy.windowSeconds), wanted: Int64(requests)), logger: logger)
        }
        guard let (key, decided) = rows.first else { return KeyLookup(key: nil) }
        guard let decided else { return KeyLookup(key: key) }
        return KeyLookup(key: key, rateLimits: Self.decisions(of: requests, decided, policy: policy))
    }

    /// The decisions of `requests` requests from a row of `DecideRateLimit.decisionSQL`: the
    /// database counted as many as it allowed; each request's headers are as if decided in turn.
    private static func decisions(
        of requests: Int,
        _ row: (allowed: Int64, inWindow: Int64, oldest: Int64?, quota: Int64, windowMs: Int64, now: Int64),
        policy: RateLimitPolicy
    ) -> [RateLimitDecision] {
        let decidedBy = RateLimitPolicy.stored(requests: row.quota, windowSeconds: row.windowMs / 1000) ?? policy
        return SlidingWindowLog.decide(
            requests, inWindow: Int(row.inWindow), oldest: row.oldest, now: row.now, policy: decidedBy)
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
