public import ConveyorCore
import Foundation
public import Hummingbird

/// FloorRoutes are the floors `conveyor bench http` measures enqueue against, on the same stack
/// (Hummingbird): `GET /constant`, a bare route returning a constant, and `POST /bare/{customer}`,
/// the bare insert — the enqueue body decoded with its checks, one job inserted by `insert` (one
/// statement through the store's driver) and answered with the job's JSON as enqueue does, with
/// no authentication, rate limit, group commit or quota. Never served by `conveyor serve`.
public enum FloorRoutes {
    /// A router with both floors.
    public static func router(
        clock: any WallClock = SystemClock(), insert: @escaping @Sendable (Job) async throws -> Void
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/constant") { _, _ in "ok" }
        router.post("/bare/{customer}") { request, context in
            var request = request
            let customer = try context.parameters.require("customer")
            let body = try await JSONResponse.decode(EnqueueBody.self, from: &request)
            let now = clock.now()
            let job = Job(
                accepting: try body.newJob(customer: customer, limits: .default), id: .generate(at: now), at: now)
            try await insert(job)
            return try JSONResponse.make(
                JobResource(job: job), status: .created, headers: [.location: "/api/jobs/\(job.id)"])
        }
        return router
    }
}
