import ConveyorCore
import Hummingbird

/// BatchRoutes enqueue up to 1,000 jobs in one transaction: all of them or none.
struct BatchRoutes {
    static let maxJobs = 1000
    let queues: QueueRoutes

    func register(on router: RouterGroup<CallerContext>) {
        router.post("queue/:customerId/batch") { request, context in
            let customer = try await queues.customer(context)
            var request = request
            let body = try await JSONResponse.decode(BatchBody.self, from: &request)
            guard (1...Self.maxJobs).contains(body.jobs.count) else {
                throw ValidationError(
                    field: "jobs", reason: "must hold 1 to \(Self.maxJobs) jobs (got \(body.jobs.count))")
            }
            let jobs = try body.jobs.enumerated().map { index, job in
                do {
                    return try job.newJob(customer: customer, limits: queues.limits)
                } catch let invalid as ValidationError {
                    throw ValidationError(
                        field: "jobs[\(index)].\(invalid.field)", reason: invalid.reason, status: invalid.status)
                }
            }
            let results = try await queues.store.enqueue(batch: jobs)
            return try JSONResponse.make(BatchAnswer(jobs: results.map { JobResource(job: $0.job) }), status: .created)
        }
    }
}

struct BatchBody: Decodable, Sendable {
    let jobs: [EnqueueBody]
}

struct BatchAnswer: Encodable, Sendable {
    let jobs: [JobResource]
}
