import ConveyorCore
import Hummingbird

/// JobRoutes are one job by id: read it, cancel it. A job of another customer is a 404.
struct JobRoutes {
    let store: any JobQueue & JobQueries

    func register(on router: RouterGroup<CallerContext>) {
        router.get("jobs/:id") { _, context in
            try JSONResponse.make(JobResource(job: try await store.visibleJob(context)))
        }
        router.post("jobs/:id/cancel") { _, context in
            let job = try await store.visibleJob(context)
            let cancelled = try await store.cancel(id: job.id)
            context.logger.info("job cancelled", metadata: cancelled.logMetadata)
            return try JSONResponse.make(JobResource(job: cancelled))
        }
    }
}
