public import ConveyorCore
import Foundation
public import Hummingbird

/// BareInsertRoute is the floor `conveyor bench http` measures enqueue against: on the same
/// stack (Hummingbird, the enqueue body's decoder and checks, the job's JSON answer), one job
/// inserted by `insert` — one statement through the store's driver — with no authentication, rate
/// limit, group commit or quota. Never served by `conveyor serve`.
public enum BareInsertRoute {
    /// A router with `POST /bare/{customer}`, answering 201 and the job as enqueue does.
    public static func router(
        clock: any WallClock = SystemClock(), insert: @escaping @Sendable (Job) async throws -> Void
    ) -> Router<BasicRequestContext> {
        let router = Router()
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
