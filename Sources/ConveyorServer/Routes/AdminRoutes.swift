import ConveyorCore
import Foundation
import Hummingbird

/// AdminRoutes manage customers (their own rate limits, weights and backlog quotas) and API keys,
/// under `/api/admin`;
/// registered in the admin group, they answer 403 to customer keys before any of them runs.
struct AdminRoutes {
    let store: any TenancyStore

    func register(on router: RouterGroup<AdminContext>) {
        router.get("customers") { _, context in
            return try JSONResponse.make(CustomerList(customers: try await store.customers()))
        }
        router.post("customers") { request, context in
            var request = request
            let body = try await JSONResponse.decode(CustomerBody.self, from: &request)
            return try JSONResponse.make(try await store.createCustomer(body.name), status: .created)
        }
        router.put("customers/:name/rate-limit") { request, context in
            let name = try NameRules.customer(try context.parameters.require("name"), field: "name")
            var request = request
            let policy = try await JSONResponse.decode(RateLimitPolicy.self, from: &request)
            return try JSONResponse.make(try await store.setRateLimit(customer: name, policy: policy))
        }
        router.delete("customers/:name/rate-limit") { _, context in
            let name = try NameRules.customer(try context.parameters.require("name"), field: "name")
            return try JSONResponse.make(try await store.setRateLimit(customer: name, policy: nil))
        }
        router.put("customers/:name/weight") { request, context in
            let name = try NameRules.customer(try context.parameters.require("name"), field: "name")
            var request = request
            let body = try await JSONResponse.decode(WeightBody.self, from: &request)
            return try JSONResponse.make(try await store.setWeight(customer: name, weight: body.weight))
        }
        router.delete("customers/:name/weight") { _, context in
            let name = try NameRules.customer(try context.parameters.require("name"), field: "name")
            return try JSONResponse.make(try await store.setWeight(customer: name, weight: nil))
        }
        router.put("customers/:name/backlog-quota") { request, context in
            let name = try NameRules.customer(try context.parameters.require("name"), field: "name")
            var request = request
            let body = try await JSONResponse.decode(BacklogQuotaBody.self, from: &request)
            return try JSONResponse.make(try await store.setBacklogQuota(customer: name, quota: body.backlogQuota))
        }
        router.delete("customers/:name/backlog-quota") { _, context in
            let name = try NameRules.customer(try context.parameters.require("name"), field: "name")
            return try JSONResponse.make(try await store.setBacklogQuota(customer: name, quota: nil))
        }
        router.get("keys") { request, context in
            let customer = request.uri.queryParameters["customer"].map(String.init)
            return try JSONResponse.make(
                KeyList(keys: try await store.apiKeys(customer: customer).map { KeyResource(key: $0) }))
        }
        router.post("keys") { request, context in
            var request = request
            let body = try await JSONResponse.decode(KeyBody.self, from: &request)
            guard (body.customer == nil) == (body.admin == true) else {
                throw ValidationError(field: "customer", reason: "give either customer or \"admin\": true")
            }
            let customer = try body.customer.map { name throws(ValidationError) in try NameRules.customer(name) }
            let (key, secret) = APIKeySecret.generate(customer: customer)
            let stored = try await store.createAPIKey(key)
            // The one answer that carries the key: no cache or proxy may keep it.
            return try JSONResponse.make(
                KeyResource(key: stored, secret: secret), status: .created, headers: [.cacheControl: "no-store"])
        }
        router.post("keys/:id/revoke") { _, context in
            let id = try context.parameters.require("id")
            return try JSONResponse.make(KeyResource(key: try await store.revokeAPIKey(id: id)))
        }
    }
}

struct CustomerBody: Decodable, Sendable {
    let name: String
}

/// A customer's weight in fair claiming.
struct WeightBody: Decodable, Sendable {
    let weight: Double
}

/// The most jobs a customer may have waiting.
struct BacklogQuotaBody: Decodable, Sendable {
    let backlogQuota: Int

    enum CodingKeys: String, CodingKey {
        case backlogQuota = "backlog_quota"
    }
}

struct CustomerList: Encodable, Sendable {
    let customers: [Customer]
}

struct KeyBody: Decodable, Sendable {
    let customer: String?
    let admin: Bool?
}

/// KeyResource is a key as the API shows it: never its hash; the key itself only in the answer
/// that made it.
struct KeyResource: Encodable, Sendable {
    let key: APIKey
    var secret: String? = nil

    enum CodingKeys: String, CodingKey {
        case id, customer, prefix, admin, key
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key.id, forKey: .id)
        try container.encode(key.customer, forKey: .customer)
        try container.encode(key.prefix, forKey: .prefix)
        try container.encode(key.isAdmin, forKey: .admin)
        try container.encode(key.createdAt, forKey: .createdAt)
        try container.encode(key.revokedAt, forKey: .revokedAt)
        try container.encodeIfPresent(secret, forKey: .key)
    }
}

struct KeyList: Encodable, Sendable {
    let keys: [KeyResource]
}
