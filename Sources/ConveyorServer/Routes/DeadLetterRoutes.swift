import ConveyorCore
import Hummingbird

/// DeadLetterRoutes are the dead-letter queue: list dead jobs, replay them (by id or by filter),
/// delete one. A customer key sees and touches only its own customer's dead jobs.
struct DeadLetterRoutes {
    let store: any JobStore

    func register(on router: Router<ConveyorRequestContext>) {
        router.get("/api/dlq") { request, context in
            let caller = try context.requireCaller()
            let parameters = request.uri.queryParameters
            let filter = try filter(
                caller, customer: parameters["customer"].map(String.init), queue: parameters["queue"].map(String.init),
                type: parameters["type"].map(String.init), states: [.dead])
            let limit = try QueueRoutes.limit(parameters["limit"].map(String.init))
            let page = try await store.list(
                JobQuery(filter: filter, limit: limit, cursor: parameters["cursor"].map(String.init)))
            return try JSONResponse.make(
                JobListing(jobs: page.jobs.map(JobResource.init), nextCursor: page.nextCursor, counts: nil))
        }
        router.post("/api/dlq/replay") { request, context in
            let caller = try context.requireCaller()
            var request = request
            let body = try await JSONResponse.decode(ReplayBody.self, from: &request)
            let selection: DeadLetterSelection
            switch (body.ids, body.filter) {
            case (.some(let texts), nil):
                guard !texts.isEmpty, texts.count <= 1000 else {
                    throw ValidationError(field: "ids", reason: "must hold 1 to 1000 job ids")
                }
                var ids: [JobID] = []
                for (index, text) in texts.enumerated() {
                    guard let id = JobID(text) else {
                        throw ValidationError(field: "ids[\(index)]", reason: "must be a job id (a UUID)")
                    }
                    guard let job = try await store.job(id: id), caller.canSee(customer: job.customer) else {
                        throw JobStoreError.notFound(id: id)
                    }
                    ids.append(id)
                }
                selection = .ids(ids)
            case (nil, .some(let given)):
                selection = .matching(
                    try filter(caller, customer: given.customer, queue: given.queue, type: given.type, states: nil))
            default:
                throw ValidationError(field: "ids", reason: "give either ids or filter, not both and not neither")
            }
            let replayed = try await store.replay(selection)
            return try JSONResponse.make(BatchAnswer(jobs: replayed.map(JobResource.init)))
        }
        router.delete("/api/dlq/:id") { _, context in
            let job = try await store.visibleJob(context)
            _ = try await store.purge(.ids([job.id]))
            return Response(status: .noContent)
        }
    }

    /// The filter a caller may use: a customer key is held to its own customer.
    func filter(
        _ caller: Caller, customer: String?, queue: String?, type: String?, states: [JobState]?
    ) throws -> JobFilter {
        var customer = customer
        if case .customer(let own, _) = caller {
            if let asked = customer, asked != own { throw JobStoreError.customerNotFound(name: asked) }
            customer = own
        }
        return try JobFilter(customer: customer, queue: queue, states: states, type: type)
    }
}

struct ReplayBody: Decodable, Sendable {
    struct Filter: Decodable, Sendable {
        let customer: String?
        let queue: String?
        let type: String?
    }

    let ids: [String]?
    let filter: Filter?
}
