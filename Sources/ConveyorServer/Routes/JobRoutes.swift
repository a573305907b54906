import ConveyorCore
import Hummingbird

/// JobRoutes are one job by id: read it, cancel it. A job of another customer is a 404.
struct JobRoutes {
    let store: any JobStore

    func register(on router: Router<ConveyorRequestContext>) {
        router.get("/api/jobs/:id") { _, context in
            try JSONResponse.make(JobResource(job: try await visibleJob(context)))
        }
        router.post("/api/jobs/:id/cancel") { _, context in
            let job = try await visibleJob(context)
            return try JSONResponse.make(JobResource(job: try await store.cancel(id: job.id)))
        }
    }

    func visibleJob(_ context: ConveyorRequestContext) async throws -> Job {
        let caller = try context.requireCaller()
        let text = try context.parameters.require("id")
        guard let id = JobID(text) else { throw ValidationError(field: "id", reason: "must be a job id (a UUID)") }
        guard let job = try await store.job(id: id), caller.canSee(customer: job.customer) else {
            throw JobStoreError.notFound(id: id)
        }
        return job
    }
}
