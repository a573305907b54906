import ConveyorCore
import Hummingbird

/// CapRoutes set and remove concurrency caps, for admin keys only (a customer raising its own cap
/// would defeat it): a queue for every customer (`/api/admin/queues/{queue}/cap`), a customer
/// across its queues (`/api/admin/customers/{name}/cap`), or one customer's queue
/// (`/api/admin/customers/{name}/queues/{queue}/cap`). `PUT` with `{"max_running": N}` sets one
/// and answers it; `DELETE` removes it and answers 204, capped or not before.
struct CapRoutes {
    let store: any CapStore

    func register(on admin: RouterGroup<AdminContext>) {
        admin.get("admin/caps") { _, _ in
            try JSONResponse.make(CapList(caps: try await store.caps()))
        }
        route(admin, "admin/queues/:queue/cap") { context in (try queue(context), nil) }
        route(admin, "admin/customers/:name/cap") { context in (nil, try customer(context)) }
        route(admin, "admin/customers/:name/queues/:queue/cap") { context in
            (try queue(context), try customer(context))
        }
    }

    /// PUT and DELETE on `path`, whose parameters name the target.
    private func route(
        _ admin: RouterGroup<AdminContext>, _ path: RouterPath,
        target: @escaping @Sendable (AdminContext) throws -> (queue: String?, customer: String?)
    ) {
        admin.put(path) { request, context in
            let (queue, customer) = try target(context)
            var request = request
            let body = try await JSONResponse.decode(CapBody.self, from: &request)
            return try JSONResponse.make(
                try await store.setCap(queue: queue, customer: customer, maxRunning: body.maxRunning))
        }
        admin.delete(path) { _, context in
            let (queue, customer) = try target(context)
            _ = try await store.removeCap(queue: queue, customer: customer)
            return Response(status: .noContent)
        }
    }

    private func queue(_ context: AdminContext) throws -> String {
        try NameRules.queue(try context.parameters.require("queue"))
    }

    private func customer(_ context: AdminContext) throws -> String {
        try NameRules.customer(try context.parameters.require("name"), field: "name")
    }
}

struct CapBody: Decodable, Sendable {
    let maxRunning: Int

    enum CodingKeys: String, CodingKey {
        case maxRunning = "max_running"
    }
}

struct CapList: Encodable, Sendable {
    let caps: [ConcurrencyCap]
}
