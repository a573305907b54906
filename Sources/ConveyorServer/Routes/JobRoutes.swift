import ConveyorCore
import Hummingbird

/// JobRoutes are one job by id: read it — at once, or with `?wait=SECONDS` as soon as it finishes
/// —, cancel it. A job of another customer is a 404.
struct JobRoutes {
    let store: any JobQueue & JobQueries
    /// What wakes a waiting read; without one, `wait` is refused.
    let hub: EventHub?
    static let maxWait = 60.0

    func register(on router: RouterGroup<CallerContext>) {
        router.get("jobs/:id") { request, context in
            let job = try await store.visibleJob(context)
            guard let text = request.uri.queryParameters["wait"] else {
                return try JSONResponse.make(JobResource(job: job))
            }
            guard let seconds = Double(String(text)), seconds.isFinite, (0...Self.maxWait).contains(seconds) else {
                throw ValidationError(
                    field: "wait", reason: "must be a number of seconds between 0 and \(Int(Self.maxWait))")
            }
            return try JSONResponse.make(
                JobResource(job: try await waitUntilFinished(job, for: .milliseconds(Int64(seconds * 1000)), context)))
        }
        router.post("jobs/:id/cancel") { _, context in
            let job = try await store.visibleJob(context)
            let cancelled = try await store.cancel(id: job.id)
            context.logger.info("job cancelled", metadata: cancelled.logMetadata)
            return try JSONResponse.make(JobResource(job: cancelled))
        }
    }

    /// The job once it is finished (completed, dead or cancelled), or as it is when `wait` is
    /// over. It is read again only when one of its events arrives (`EventHub`), so a waiting
    /// request costs the database nothing while nothing happens to its job.
    func waitUntilFinished(_ job: Job, for wait: Duration, _ context: CallerContext) async throws -> Job {
        guard !job.state.isFinished, wait > .zero, let hub else { return job }
        let changed = Doorbell()
        let subscription = try await hub.subscribe(.init(customer: job.customer, jobs: [job.id])) { _ in
            changed.ringAll()
        }
        defer { hub.unsubscribe(subscription) }
        let deadline = ContinuousClock.now + wait
        var ticket = changed.ticket()
        // Read once more now that the subscription is in place: it may have finished meanwhile.
        var current = try await store.visibleJob(id: job.id, caller: context.caller)
        while !current.state.isFinished {
            let left = deadline - .now
            guard left > .zero, await changed.wait(for: nil, after: ticket, timeout: left), !Task.isCancelled else {
                break
            }
            ticket = changed.ticket()
            current = try await store.visibleJob(id: job.id, caller: context.caller)
        }
        return current
    }
}
