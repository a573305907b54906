import ConveyorCore
import ConveyorWebhooks
import Foundation
import Hummingbird

/// Webhook endpoints: a customer's own (an admin's view: every customer's), each with its state —
/// a disabled one says why — and its latest attempts; registering one (its secret shown once, on
/// the page that answers), enabling, disabling, rotating the secret and deleting.
extension DashboardRoutes {
    /// How many of an endpoint's attempts the page shows.
    static let attemptsShown = 5

    func registerWebhooks(pages: RouterGroup<DashboardContext>, actions: RouterGroup<DashboardContext>) {
        pages.get("webhooks") { _, context in
            self.pages.page("webhooks", try await webhooksView(context, notice: nil))
        }
        actions.post("webhooks") { _, context in
            let form = context.form ?? FormBody("")
            let policy = configuration.webhooks
            let customer = try context.caller.customer ?? NameRules.customer(form["customer"] ?? "")
            let events = (form["events"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
            let draft = try WebhookEndpointDraft(
                customer: customer, url: form["url"] ?? "", events: events.isEmpty ? nil : events,
                queue: form["queue"].flatMap { $0.isEmpty ? nil : $0 }, description: form["description"],
                policy: policy)
            _ = try await policy.checkResolving(draft.url)
            let endpoint = try await store.createWebhook(draft, secret: WebhookSecret.generate())
            context.logger.info(
                "webhook endpoint registered from the dashboard", metadata: ["webhook_id": .string(endpoint.id)])
            return self.pages.page(
                "webhooks",
                try await webhooksView(
                    context,
                    notice:
                        "Endpoint \(endpoint.id) registered. Its signing secret, shown this once: \(endpoint.secret)"))
        }
        actions.post("webhooks/:id/:action") { _, context in
            let id = context.parameters.get("id") ?? ""
            let owner = context.caller.customer
            var notice: String
            switch context.parameters.get("action") ?? "" {
            case "enable", "disable":
                let enable = context.parameters.get("action") == "enable"
                _ = try await store.updateWebhook(
                    id: id, customer: owner, try WebhookEndpointChange(enabled: enable, policy: configuration.webhooks))
                notice = "Endpoint \(id) \(enable ? "enabled" : "disabled")."
            case "rotate":
                let endpoint = try await store.rotateWebhookSecret(
                    id: id, customer: owner, to: WebhookSecret.generate())
                notice =
                    "Endpoint \(id) has a new signing secret, shown this once: \(endpoint.secret) (the old one signs too for 24 hours)."
            case "delete":
                try await store.deleteWebhook(id: id, customer: owner)
                notice = "Endpoint \(id) deleted."
            default:
                throw Problem.notFound("there is no such action on a webhook endpoint")
            }
            context.logger.info(
                "webhook endpoint changed from the dashboard",
                metadata: ["webhook_id": .string(id), "action": .string(context.parameters.get("action") ?? "")])
            return self.pages.page("webhooks", try await webhooksView(context, notice: notice))
        }
    }

    func webhooksView(_ context: DashboardContext, notice: String?) async throws -> WebhooksView {
        let endpoints = try await store.webhooks(customer: context.caller.customer)
        var rows: [WebhooksView.Row] = []
        for endpoint in endpoints {
            let attempts = try await store.webhookAttempts(
                endpointID: endpoint.id, customer: nil, limit: Self.attemptsShown)
            rows.append(
                .init(
                    id: endpoint.id, customer: endpoint.customer, url: endpoint.url,
                    events: endpoint.events.isEmpty ? "all" : endpoint.events.map(\.rawValue).joined(separator: ", "),
                    queue: endpoint.queue ?? "all", description: endpoint.description, enabled: endpoint.isEnabled,
                    disabledReason: endpoint.disabledReason,
                    failingSince: endpoint.failingSince.map { DashboardTime.text($0) },
                    attempts: attempts.map { attempt in
                        .init(
                            at: DashboardTime.text(attempt.at), event: attempt.event,
                            outcome: attempt.statusCode.map { "HTTP \($0)" } ?? "no answer",
                            latency: "\(attempt.latencyMilliseconds) ms", error: attempt.error)
                    }, hasAttempts: !attempts.isEmpty))
        }
        return WebhooksView(
            frame: pages.frame("Webhooks", context.session, current: "/webhooks", notice: notice), endpoints: rows,
            admin: context.caller.isAdmin, canAct: context.session.canAct, csrf: context.session.csrfToken)
    }
}

struct WebhooksView: TemplateView {
    struct Attempt {
        let at, event, outcome, latency: String
        let error: String?
    }
    struct Row {
        let id, customer, url, events, queue, description: String
        let enabled: Bool
        let disabledReason, failingSince: String?
        let attempts: [Attempt]
        /// Stored: the templates read a view's stored properties only.
        let hasAttempts: Bool
    }
    let frame: Frame
    let endpoints: [Row]
    let admin: Bool
    let canAct: Bool
    let csrf: String
}
