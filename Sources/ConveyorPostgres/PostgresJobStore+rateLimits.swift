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

    public func apiKeys(_ requests: [KeyLookupRequest], deciding policy: RateLimitPolicy) async throws -> [KeyLookup] {
        guard !requests.isEmpty else { return [] }
        let logger = self.logger
        let grouped = requests.grouped
        let rows = try await read { connection, _ in
            try await connection.all(
                FindKeysAndDecide(
                    prefixes: grouped.map(\.request.prefix), secretHashes: grouped.map(\.request.secretHash),
                    wanted: grouped.map { Int64($0.count) }, requests: Int64(policy.requests),
                    windowSeconds: Int64(policy.windowSeconds)), logger: logger)
        }
        let counts = Dictionary(grouped.map { ($0.request, $0.count) }, uniquingKeysWith: { first, _ in first })
        var found: [KeyLookupRequest: (key: APIKey?, decisions: [RateLimitDecision])] = [:]
        for (key, presented, decided) in rows {
            let request = KeyLookupRequest(prefix: key.prefix, secretHash: presented)
            found[request] = (key, decided.map { Self.decisions(of: counts[request] ?? 1, $0, policy: policy) } ?? [])
        }
        return requests.distributing(found)
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
