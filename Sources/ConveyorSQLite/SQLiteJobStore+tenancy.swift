public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's customers, API keys and their rate limits (`TenancyStore`).
extension SQLiteJobStore {
    public func createCustomer(_ name: String) async throws -> Customer {
        let name = try NameRules.customer(name, field: "name")
        return try await write { db, now in
            let inserted = try Row.fetchOne(
                db, sql: "INSERT INTO customers (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING *",
                arguments: [name, now.unixMilliseconds])
            guard let inserted else { throw JobStoreError.customerExists(name: name) }
            return Self.decodeCustomer(inserted)
        }
    }

    public func customers() async throws -> [Customer] {
        try await read { db, _ in
            try Row.fetchAll(db, sql: "SELECT * FROM customers ORDER BY name").map(Self.decodeCustomer)
        }
    }

    public func customer(named name: String) async throws -> Customer? {
        try await read { db, _ in
            try Row.fetchOne(db, sql: "SELECT * FROM customers WHERE name = ?", arguments: [name]).map(
                Self.decodeCustomer)
        }
    }

    public func createAPIKey(_ key: NewAPIKey) async throws -> APIKey {
        try await write { db, now in
            if let customer = key.customer,
                try Row.fetchOne(db, sql: "SELECT 1 FROM customers WHERE name = ?", arguments: [customer]) == nil
            {
                throw JobStoreError.customerNotFound(name: customer)
            }
            let row = try Row.fetchOne(
                db,
                sql: """
                    INSERT INTO api_keys (id, customer, prefix, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)
                    RETURNING *
                    """,
                arguments: [key.id, key.customer, key.prefix, key.secretHash, now.unixMilliseconds])
            guard let row else { throw JobStoreError.unavailable(reason: "the new API key did not come back") }
            return Self.decodeKey(row)
        }
    }

    public func apiKeys(customer: String?) async throws -> [APIKey] {
        try await read { db, _ in
            let rows =
                if let customer {
                    try Row.fetchAll(
                        db, sql: "SELECT * FROM api_keys WHERE customer = ? ORDER BY created_at, id",
                        arguments: [customer])
                } else {
                    try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at, id")
                }
            return rows.map(Self.decodeKey)
        }
    }

    public func apiKey(prefix: String) async throws -> APIKey? {
        try await read { db, _ in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE prefix = ?"), arguments: [prefix])
                .map(
                    Self.decodeKey)
        }
    }

    public func revokeAPIKey(id: String) async throws -> APIKey {
        try await write { db, now in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [now.unixMilliseconds, id])
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE id = ?", arguments: [id]) else {
                throw JobStoreError.apiKeyNotFound(id: id)
            }
            return Self.decodeKey(row)
        }
    }

    static func decodeCustomer(_ row: Row) -> Customer {
        Customer(
            name: row["name"], createdAt: Date(unixMilliseconds: row["created_at"]),
            rateLimit: RateLimitPolicy.stored(
                requests: row["rate_limit_requests"], windowSeconds: row["rate_limit_window_seconds"]),
            weight: row["weight"], backlogQuota: row["backlog_quota"])
    }

    static func decodeKey(_ row: Row) -> APIKey {
        let revoked: Int64? = row["revoked_at"]
        return APIKey(
            id: row["id"], customer: row["customer"], prefix: row["prefix"], secretHash: row["secret_hash"],
            createdAt: Date(unixMilliseconds: row["created_at"]), revokedAt: revoked.map(Date.init(unixMilliseconds:)))
    }

    public func setRateLimit(customer: String, policy: RateLimitPolicy?) async throws -> Customer {
        try await updatedCustomer(
            customer, set: "rate_limit_requests = ?, rate_limit_window_seconds = ?",
            [policy?.requests, policy?.windowSeconds])
    }

    public func setWeight(customer: String, weight: Double?) async throws -> Customer {
        let weight = try weight.map { value throws(ValidationError) in try Customer.validWeight(value) }
        return try await updatedCustomer(customer, set: "weight = ?", [weight])
    }

    public func setBacklogQuota(customer: String, quota: Int?) async throws -> Customer {
        let quota = try quota.map { value throws(ValidationError) in try Customer.validBacklogQuota(value) }
        return try await updatedCustomer(customer, set: "backlog_quota = ?", [quota])
    }

    /// The customer after `assignments` (an SQL SET list) with `values`; `customerNotFound` if
    /// there is none of that name.
    private func updatedCustomer(
        _ name: String, set assignments: String, _ values: StatementArguments
    ) async throws -> Customer {
        try await write { db, _ in
            let row = try Row.fetchOne(
                db, sql: "UPDATE customers SET \(assignments) WHERE name = ? RETURNING *", arguments: values + [name])
            guard let row else { throw JobStoreError.customerNotFound(name: name) }
            return Self.decodeCustomer(row)
        }
    }
}
