import ConveyorCore
import Hummingbird

/// PauseRoutes pause and resume claims: a customer key its own queues
/// (`/api/queue/{customerId}/{queue}/pause`), an admin key a queue for every customer
/// (`/api/admin/queues/{queue}/pause`) or a whole customer (`/api/admin/customers/{name}/pause`).
/// `PUT` pauses and answers the pause; `DELETE` resumes and answers 204, paused or not before
/// (the state asked for holds either way). Enqueues go on while paused, and so do running jobs.
struct PauseRoutes {
    let queues: QueueRoutes
    let store: any PauseStore

    func register(on router: RouterGroup<CallerContext>, admin: RouterGroup<AdminContext>) {
        router.put("queue/:customerId/:queue/pause") { _, context in
            let (customer, queue) = try await target(context)
            return try JSONResponse.make(try await store.pause(queue: queue, customer: customer))
        }
        router.delete("queue/:customerId/:queue/pause") { _, context in
            let (customer, queue) = try await target(context)
            _ = try await store.resume(queue: queue, customer: customer)
            return Response(status: .noContent)
        }
        admin.get("admin/pauses") { _, _ in
            try JSONResponse.make(PauseList(pauses: try await store.pauses()))
        }
        admin.put("admin/queues/:queue/pause") { _, context in
            let queue = try NameRules.queue(try context.parameters.require("queue"))
            return try JSONResponse.make(try await store.pause(queue: queue, customer: nil))
        }
        admin.delete("admin/queues/:queue/pause") { _, context in
            let queue = try NameRules.queue(try context.parameters.require("queue"))
            _ = try await store.resume(queue: queue, customer: nil)
            return Response(status: .noContent)
        }
        admin.put("admin/customers/:name/pause") { _, context in
            let name = try NameRules.customer(try context.parameters.require("name"), field: "name")
            return try JSONResponse.make(try await store.pause(queue: nil, customer: name))
        }
        admin.delete("admin/customers/:name/pause") { _, context in
            let name = try NameRules.customer(try context.parameters.require("name"), field: "name")
            _ = try await store.resume(queue: nil, customer: name)
            return Response(status: .noContent)
        }
    }

    /// The customer (one the caller may act for) and the queue the path names.
    func target(_ context: CallerContext) async throws -> (customer: String, queue: String) {
        let customer = try await queues.customer(context)
        return (customer, try NameRules.queue(try context.parameters.require("queue")))
    }
}

struct PauseList: Encodable, Sendable {
    let pauses: [Pause]
}
