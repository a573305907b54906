import ConveyorCore
import Foundation
import Hummingbird

/// Customers and keys, for admins only: each customer's rate limit, weight, caps and backlog
/// quota, and every key by its prefix, with revoke. A customer key is answered 404 here: the page
/// does not exist for it.
extension DashboardRoutes {
    func registerAdmin(pages: RouterGroup<DashboardContext>, actions: RouterGroup<DashboardContext>) {
        pages.get("customers") { _, context in
            guard context.caller.isAdmin else {
                throw Problem.notFound("there is no page /customers for a customer key")
            }
            async let customers = store.customers()
            async let keys = store.apiKeys(customer: nil)
            async let caps = store.caps()
            let allCaps = try await caps
            return self.pages.page(
                "customers",
                CustomersView(
                    frame: self.pages.frame("Customers and keys", context.session, current: "/customers"),
                    customers: try await customers.map { customer in
                        .init(
                            name: customer.name,
                            rateLimit: customer.rateLimit.map { "\($0.requests) per \($0.windowSeconds) s" }
                                ?? "default",
                            weight: JSONValue.text(of: customer.weight ?? 1),
                            caps: allCaps.filter { $0.customer == customer.name }.map { cap in
                                "\(cap.queue.map { "queue \($0)" } ?? "all queues") ≤ \(cap.maxRunning)"
                            }.joined(separator: ", "),
                            quota: customer.backlogQuota.map(String.init) ?? "default",
                            created: DashboardTime.text(customer.createdAt))
                    },
                    keys: try await keys.map { key in
                        .init(
                            id: key.id, prefix: key.prefix, owner: key.customer.map { "customer \($0)" } ?? "admin",
                            created: DashboardTime.text(key.createdAt),
                            revoked: key.revokedAt.map { DashboardTime.text($0) })
                    }, canAct: context.session.canAct, csrf: context.session.csrfToken))
        }
        actions.post("keys/:id/revoke") { _, context in
            guard context.caller.isAdmin else { throw Problem.notFound("there is no action for a customer key here") }
            let id = context.parameters.get("id") ?? ""
            let key = try await store.revokeAPIKey(id: id)
            context.logger.info("key revoked from the dashboard", metadata: ["revoked_key_id": .string(key.id)])
            return Response(status: .seeOther, headers: [.location: "/customers"])
        }
    }
}

struct CustomersView: TemplateView {
    struct Row {
        let name, rateLimit, weight, caps, quota, created: String
    }
    struct Key {
        let id, prefix, owner, created: String
        let revoked: String?
    }
    let frame: Frame
    let customers: [Row]
    let keys: [Key]
    let canAct: Bool
    let csrf: String
}
