import ConveyorCore
import Foundation
import Hummingbird

/// AdminRoutes manage customers (and their own rate limits) and API keys; they answer 403 to
/// customer keys.
struct AdminRoutes {
    let store: any JobStore

    func register(on router: Router<ConveyorRequestContext>) {
        router.get("/api/admin/customers") { _, context in
            try admin(context)
            return try JSONResponse.make(CustomerList(customers: try await store.customers()))
        }
        router.post("/api/admin/customers") { request, context in
            try admin(context)
            var request = request
            let body = try await JSONResponse.decode(CustomerBody.self, from: &request)
            return try JSONResponse.make(try await store.createCustomer(body.name), status: .created)
        }
        router.put("/api/admin/customers/:name/rate-limit") { request, context in
            try admin(context)
            let name = try NameRules.customer(try context.parameters.require("name"), field: "name")
            var request = request
            let policy = try await JSONResponse.decode(RateLimitPolicy.self, from: &request)
            return try JSONResponse.make(try await store.setRateLimit(customer: name, policy: policy))
        }
        router.delete("/api/admin/customers/:name/rate-limit") { _, context in
            try admin(context)
            let name = try NameRules.customer(try context.parameters.require("name"), field: "name")
            return try JSONResponse.make(try await store.setRateLimit(customer: name, policy: nil))
        }
        router.get("/api/admin/keys") { request, context in
            try admin(context)
            let customer = request.uri.queryParameters["customer"].map(String.init)
            return try JSONResponse.make(
                KeyList(keys: try await store.apiKeys(customer: customer).map { KeyResource(key: $0) }))
        }
        router.post("/api/admin/keys") { request, context in
            try admin(context)
            var request = request
            let body = try await JSONResponse.decode(KeyBody.self, from: &request)
            guard (body.customer == nil) == (body.admin == true) else {
                throw ValidationError(field: "customer", reason: "give either customer or \"admin\": true")
            }
            let customer = try body.customer.map { name throws(ValidationError) in try NameRules.customer(name) }
            let (key, secret) = APIKeySecret.generate(customer: customer)
            let stored = try await store.createAPIKey(key)
            return try JSONResponse.make(KeyResource(key: stored, secret: secret), status: .created)
        }
        router.post("/api/admin/keys/:id/revoke") { _, context in
            try admin(context)
            let id = try context.parameters.require("id")
            return try JSONResponse.make(KeyResource(key: try await store.revokeAPIKey(id: id)))
        }
    }

    func admin(_ context: ConveyorRequestContext) throws {
        guard try context.requireCaller().isAdmin else {
            throw Problem.forbidden("this route needs an admin key")
        }
    }
}

struct CustomerBody: Decodable, Sendable {
    let name: String
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
