public import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobStore's customers, API keys and their rate limits (`TenancyStore`).
extension PostgresJobStore {
    static let customerColumns = """
        name, (extract(epoch from created_at) * 1000)::int8, rate_limit_requests::int8,
        rate_limit_window_seconds::int8, weight, backlog_quota
        """

    static let keyColumns = """
        id, customer, prefix, secret_hash, (extract(epoch from created_at) * 1000)::int8,
        (extract(epoch from revoked_at) * 1000)::int8
        """

    public func createCustomer(_ name: String) async throws -> Customer {
        let name = try NameRules.customer(name, field: "name")
        let logger = self.logger
        return try await transaction { connection, now in
            let rows = try await connection.query(
                """
                INSERT INTO customers (name, created_at) VALUES (\(name), to_timestamp(\(now.unixMilliseconds) / 1000.0))
                ON CONFLICT DO NOTHING RETURNING \(unescaped: Self.customerColumns)
                """, logger: logger
            ).collect()
            guard let row = rows.first else { throw JobStoreError.customerExists(name: name) }
            return try Self.decodeCustomer(row)
        }
    }

    public func customers() async throws -> [Customer] {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                "SELECT \(unescaped: Self.customerColumns) FROM customers ORDER BY name", logger: logger
            ).collect().map(Self.decodeCustomer)
        }
    }

    public func customer(named name: String) async throws -> Customer? {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                "SELECT \(unescaped: Self.customerColumns) FROM customers WHERE name = \(name)", logger: logger
            ).collect().first.map(Self.decodeCustomer)
        }
    }

    public func createAPIKey(_ key: NewAPIKey) async throws -> APIKey {
        let logger = self.logger
        return try await transaction { connection, now in
            if let customer = key.customer {
                let found = try await connection.query(
                    "SELECT 1 FROM customers WHERE name = \(customer) FOR KEY SHARE", logger: logger
                ).collect()
                guard !found.isEmpty else { throw JobStoreError.customerNotFound(name: customer) }
            }
            let rows = try await connection.query(
                """
                INSERT INTO api_keys (id, customer, prefix, secret_hash, created_at)
                VALUES (\(key.id), \(key.customer), \(key.prefix), \(key.secretHash),
                        to_timestamp(\(now.unixMilliseconds) / 1000.0))
                RETURNING \(unescaped: Self.keyColumns)
                """, logger: logger
            ).collect()
            return try Self.decodeKey(rows[0])
        }
    }

    public func apiKeys(customer: String?) async throws -> [APIKey] {
        let logger = self.logger
        return try await read { connection, _ in
            let query: PostgresQuery =
                if let customer {
                    """
                    SELECT \(unescaped: Self.keyColumns) FROM api_keys WHERE customer = \(customer)
                    ORDER BY created_at, id
                    """
                } else {
                    "SELECT \(unescaped: Self.keyColumns) FROM api_keys ORDER BY created_at, id"
                }
            return try await connection.query(query, logger: logger).collect().map(Self.decodeKey)
        }
    }

    public func apiKey(prefix: String) async throws -> APIKey? {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.all(FindAPIKey(prefix: prefix), logger: logger).first
        }
    }

    public func revokeAPIKey(id: String) async throws -> APIKey {
        let logger = self.logger
        return try await transaction { connection, now in
            let rows = try await connection.query(
                """
                UPDATE api_keys SET revoked_at = coalesce(revoked_at, to_timestamp(\(now.unixMilliseconds) / 1000.0))
                WHERE id = \(id) RETURNING \(unescaped: Self.keyColumns)
                """, logger: logger
            ).collect()
            guard let row = rows.first else { throw JobStoreError.apiKeyNotFound(id: id) }
            return try Self.decodeKey(row)
        }
    }

    static func decodeCustomer(_ row: PostgresRow) throws -> Customer {
        let (name, created, requests, window, weight, quota) = try row.decode(
            (String, Int64, Int64?, Int64?, Double?, Int64?).self)
        return Customer(
            name: name, createdAt: Date(unixMilliseconds: created),
            rateLimit: RateLimitPolicy.stored(requests: requests, windowSeconds: window), weight: weight,
            backlogQuota: quota.map(Int.init))
    }

    /// The key in a row's first six columns (`keyColumns`); the row may go on with others.
    static func decodeKey(_ row: PostgresRow) throws -> APIKey {
        let columns = row.makeRandomAccess()
        let (id, customer, prefix, hash, created, revoked) = (
            try columns[0].decode(String.self), try columns[1].decode(String?.self), try columns[2].decode(String.self),
            try columns[3].decode(String.self), try columns[4].decode(Int64.self), try columns[5].decode(Int64?.self)
        )
        return APIKey(
            id: id, customer: customer, prefix: prefix, secretHash: hash, createdAt: Date(unixMilliseconds: created),
            revokedAt: revoked.map(Date.init(unixMilliseconds:)))
    }

    public func setRateLimit(customer: String, policy: RateLimitPolicy?) async throws -> Customer {
        try await updatedCustomer(
            customer,
            """
            UPDATE customers SET rate_limit_requests = \(policy?.requests),
                rate_limit_window_seconds = \(policy?.windowSeconds)
            WHERE name = \(customer) RETURNING \(unescaped: Self.customerColumns)
            """)
    }

    public func setWeight(customer: String, weight: Double?) async throws -> Customer {
        let weight = try weight.map { value throws(ValidationError) in try Customer.validWeight(value) }
        return try await updatedCustomer(
            customer,
            "UPDATE customers SET weight = \(weight) WHERE name = \(customer) RETURNING \(unescaped: Self.customerColumns)"
        )
    }

    public func setBacklogQuota(customer: String, quota: Int?) async throws -> Customer {
        let quota = try quota.map { value throws(ValidationError) in try Customer.validBacklogQuota(value) }
        return try await updatedCustomer(
            customer,
            """
            UPDATE customers SET backlog_quota = \(quota.map(Int64.init)) WHERE name = \(customer)
            RETURNING \(unescaped: Self.customerColumns)
            """)
    }

    /// The customer `update` (an UPDATE … RETURNING the customer columns) left; `customerNotFound`
    /// if there is none of that name.
    private func updatedCustomer(_ name: String, _ update: PostgresQuery) async throws -> Customer {
        let logger = self.logger
        let updated = try await read { connection, _ in try await connection.query(update, logger: logger).collect() }
        guard let row = updated.first else { throw JobStoreError.customerNotFound(name: name) }
        return try Self.decodeCustomer(row)
    }
}
