public import ConveyorCore
import Foundation
import PostgresNIO

extension PostgresJobStore {
    public func setRateLimit(customer: String, policy: RateLimitPolicy?) async throws -> Customer {
        let logger = self.logger
        let updated = try await read { connection, _ in
            try await connection.query(
                """
                UPDATE customers SET rate_limit_requests = \(policy?.requests),
                    rate_limit_window_seconds = \(policy?.windowSeconds)
                WHERE name = \(customer) RETURNING name
                """, logger: logger
            ).collect()
        }
        guard !updated.isEmpty, let found = try await self.customer(named: customer) else {
            throw JobStoreError.customerNotFound(name: customer)
        }
        return found
    }

    /// One statement, so the decision is atomic without a transaction around it: the upsert's
    /// conflict branch re-reads the key's row under its lock (PostgreSQL's ON CONFLICT DO UPDATE),
    /// so concurrent requests of one key, from any process, queue up on that row and each sees the
    /// others' hits. The WHERE refuses the update when the window is full — then nothing is written
    /// and the row is read back only to tell the client when quota returns. Times come from
    /// `clock_timestamp()`: the database's clock, shared by every node.
    public func rateLimit(_ key: RateLimitKey, policy: RateLimitPolicy) async throws -> RateLimitDecision {
        let logger = self.logger
        let rows = try await read { connection, _ in
            try await connection.query(
                """
                WITH policy AS (
                    SELECT coalesce(c.rate_limit_requests, \(policy.requests)) AS quota,
                           coalesce(c.rate_limit_window_seconds, \(policy.windowSeconds))::int8 * 1000 AS window_ms,
                           (extract(epoch FROM clock_timestamp()) * 1000)::int8 AS now_ms
                    FROM (SELECT 1) AS one LEFT JOIN customers c ON c.name = \(key.customer)
                ),
                decided AS (
                    INSERT INTO rate_limit_requests AS r (key, hits, expires_at)
                    SELECT \(key.description), ARRAY[p.now_ms], to_timestamp((p.now_ms + p.window_ms) / 1000.0)
                    FROM policy p
                    ON CONFLICT (key) DO UPDATE SET
                        hits = ARRAY(
                            SELECT h FROM unnest(r.hits) AS h
                            WHERE h > (SELECT now_ms - window_ms FROM policy) ORDER BY h
                        ) || EXCLUDED.hits,
                        expires_at = EXCLUDED.expires_at
                    WHERE (SELECT count(*) FROM unnest(r.hits) AS h WHERE h > (SELECT now_ms - window_ms FROM policy))
                        < (SELECT quota FROM policy)
                    RETURNING r.hits
                )
                SELECT true, d.hits, p.quota::int8, p.window_ms, p.now_ms FROM decided d CROSS JOIN policy p
                UNION ALL
                SELECT false, coalesce((SELECT hits FROM rate_limit_requests WHERE key = \(key.description)), '{}'),
                       p.quota::int8, p.window_ms, p.now_ms
                FROM policy p WHERE NOT EXISTS (SELECT 1 FROM decided)
                """, logger: logger
            ).collect()
        }
        guard let row = rows.first else {
            throw JobStoreError.unavailable(reason: "the rate-limit decision did not come back")
        }
        let (allowed, hits, quota, windowMs, now) = try row.decode((Bool, [Int64], Int64, Int64, Int64).self)
        let decidedBy =
            RateLimitPolicy.stored(requests: quota, windowSeconds: windowMs / 1000) ?? policy
        return RateLimitDecision(allowed: allowed, policy: decidedBy, hits: hits, now: now)
    }

    public func pruneRateLimits() async throws -> Int {
        let logger = self.logger
        return try await read { connection, _ in
            let rows = try await connection.query(
                """
                WITH deleted AS (DELETE FROM rate_limit_requests WHERE expires_at <= clock_timestamp() RETURNING 1)
                SELECT count(*)::int8 FROM deleted
                """, logger: logger
            ).collect()
            return try rows.first?.decode(Int.self) ?? 0
        }
    }
}
