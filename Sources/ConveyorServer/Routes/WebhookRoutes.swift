import ConveyorCore
import ConveyorWebhooks
import Foundation
import Hummingbird

/// WebhookRoutes manage a customer's webhook endpoints (`/api/queue/{customerId}/webhooks`): a
/// customer key its own, an admin key any customer's, and `GET /api/admin/webhooks` every one. A
/// URL is checked against the address rules, its host resolved, when it is registered or changed
/// (and again at each delivery). The signing secret is shown when an endpoint is made and when it
/// is rotated, never again.
struct WebhookRoutes {
    let queues: QueueRoutes
    let store: any WebhookStore
    let policy: WebhookURLPolicy
    /// How many attempts `…/attempts` lists at most.
    static let attemptsShown = 100

    func register(on router: RouterGroup<CallerContext>, admin: RouterGroup<AdminContext>) {
        router.post("queue/:customerId/webhooks") { request, context in
            let customer = try await queues.customer(context)
            var request = request
            let body = try await JSONResponse.decode(WebhookBody.self, from: &request)
            let draft = try WebhookEndpointDraft(
                customer: customer, url: body.url, events: body.events, queue: body.queue,
                description: body.description, policy: policy)
            _ = try await policy.checkResolving(draft.url)
            let endpoint = try await store.createWebhook(draft, secret: WebhookSecret.generate())
            context.logger.info(
                "webhook endpoint registered",
                metadata: ["customer": .string(customer), "webhook_id": .string(endpoint.id)])
            return try JSONResponse.make(WebhookResource(endpoint, showingSecret: true), status: .created)
        }
        router.get("queue/:customerId/webhooks") { _, context in
            let customer = try await queues.customer(context)
            return try JSONResponse.make(
                WebhookList(webhooks: try await store.webhooks(customer: customer).map { WebhookResource($0) }))
        }
        router.get("queue/:customerId/webhooks/:id") { _, context in
            let (customer, id) = try await target(context)
            return try JSONResponse.make(WebhookResource(try await store.webhook(id: id, customer: customer)))
        }
        router.patch("queue/:customerId/webhooks/:id") { request, context in
            let (customer, id) = try await target(context)
            var request = request
            let body = try await JSONResponse.decode(WebhookChangeBody.self, from: &request)
            let change = try WebhookEndpointChange(
                url: body.url, events: body.events, queue: body.queue, description: body.description,
                enabled: body.enabled, policy: policy)
            if let url = change.url { _ = try await policy.checkResolving(url) }
            return try JSONResponse.make(
                WebhookResource(try await store.updateWebhook(id: id, customer: customer, change)))
        }
        router.delete("queue/:customerId/webhooks/:id") { _, context in
            let (customer, id) = try await target(context)
            try await store.deleteWebhook(id: id, customer: customer)
            return Response(status: .noContent)
        }
        router.post("queue/:customerId/webhooks/:id/rotate-secret") { _, context in
            let (customer, id) = try await target(context)
            let endpoint = try await store.rotateWebhookSecret(
                id: id, customer: customer, to: WebhookSecret.generate())
            return try JSONResponse.make(WebhookResource(endpoint, showingSecret: true))
        }
        router.get("queue/:customerId/webhooks/:id/attempts") { _, context in
            let (customer, id) = try await target(context)
            return try JSONResponse.make(
                WebhookAttemptList(
                    attempts: try await store.webhookAttempts(
                        endpointID: id, customer: customer, limit: Self.attemptsShown)))
        }
        admin.get("admin/webhooks") { _, _ in
            try JSONResponse.make(
                WebhookList(webhooks: try await store.webhooks(customer: nil).map { WebhookResource($0) }))
        }
    }

    /// The customer (one the caller may act for) and the endpoint id the path names.
    func target(_ context: CallerContext) async throws -> (customer: String, id: String) {
        let customer = try await queues.customer(context)
        let id = try context.parameters.require("id")
        guard id.hasPrefix(WebhookEndpoint.idMarker), id.count <= 64 else {
            throw JobStoreError.webhookNotFound(id: String(id.prefix(64)))
        }
        return (customer, id)
    }
}

/// WebhookBody registers an endpoint.
struct WebhookBody: Decodable, Sendable {
    let url: String
    let events: [String]?
    let queue: String?
    let description: String?
}

/// WebhookChangeBody changes an endpoint: each member left out is kept; `queue: null` removes
/// the queue filter.
struct WebhookChangeBody: Decodable, Sendable {
    let url: String?
    let events: [String]?
    let queue: String??
    let description: String?
    let enabled: Bool?

    enum CodingKeys: String, CodingKey {
        case url, events, queue, description, enabled
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decodeIfPresent(String.self, forKey: .url)
        events = try container.decodeIfPresent([String].self, forKey: .events)
        if container.contains(.queue) {
            queue = .some(
                try container.decodeNil(forKey: .queue) ? nil : try container.decode(String.self, forKey: .queue))
        } else {
            queue = nil
        }
        description = try container.decodeIfPresent(String.self, forKey: .description)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled)
    }
}

/// WebhookResource is an endpoint as the API shows it: never its secrets but once, when made or
/// rotated (`secret`).
struct WebhookResource: Encodable, Sendable {
    let endpoint: WebhookEndpoint
    let showingSecret: Bool

    init(_ endpoint: WebhookEndpoint, showingSecret: Bool = false) {
        self.endpoint = endpoint
        self.showingSecret = showingSecret
    }

    enum CodingKeys: String, CodingKey {
        case id, customer, url, events, queue, description, enabled, secret
        case createdAt = "created_at"
        case disabledAt = "disabled_at"
        case disabledReason = "disabled_reason"
        case failingSince = "failing_since"
        case previousSecretExpiresAt = "previous_secret_expires_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(endpoint.id, forKey: .id)
        try container.encode(endpoint.customer, forKey: .customer)
        try container.encode(endpoint.url, forKey: .url)
        try container.encode(endpoint.events.isEmpty ? ["*"] : endpoint.events.map(\.rawValue), forKey: .events)
        try container.encode(endpoint.queue, forKey: .queue)
        try container.encode(endpoint.description, forKey: .description)
        try container.encode(endpoint.isEnabled, forKey: .enabled)
        try container.encode(endpoint.createdAt, forKey: .createdAt)
        try container.encode(endpoint.disabledAt, forKey: .disabledAt)
        try container.encode(endpoint.disabledReason, forKey: .disabledReason)
        try container.encode(endpoint.failingSince, forKey: .failingSince)
        try container.encode(endpoint.previousSecretExpiresAt, forKey: .previousSecretExpiresAt)
        if showingSecret { try container.encode(endpoint.secret, forKey: .secret) }
    }
}

struct WebhookList: Encodable, Sendable {
    let webhooks: [WebhookResource]
}

struct WebhookAttemptList: Encodable, Sendable {
    let attempts: [WebhookAttempt]
}
