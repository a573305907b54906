import ConveyorCore
import Foundation
import HTTPTypes
import Hummingbird

/// QueueRoutes are a customer's queues: enqueue one job, and list the customer's jobs.
struct QueueRoutes {
    let store: any JobQueue & JobQueries & TenancyStore & PauseStore
    let limits: JobLimits
    /// Single enqueues without a key, group-committed when the application runs a group commit:
    /// requests arriving together share one transaction, and each is answered once that
    /// transaction has committed. Without one, each goes alone.
    let enqueues: GroupCommit<NewJob, Job>?

    init(
        store: any JobQueue & JobQueries & TenancyStore & PauseStore, limits: JobLimits,
        enqueues: GroupCommit<NewJob, Job>?
    ) {
        self.store = store
        self.limits = limits
        self.enqueues = enqueues
    }

    /// The group commit for single enqueues into `store`, to be run as a service of the application.
    /// Requests share a transaction, not their fate: each is judged as if it had gone alone
    /// (`enqueue(separately:)`), so one customer's quota never refuses another's enqueue.
    static func groupCommit(_ store: any JobQueue) -> GroupCommit<NewJob, Job> {
        GroupCommit(maxBatch: 1000) { jobs in await store.enqueue(separately: jobs) }
    }

    func register(on router: RouterGroup<CallerContext>) {
        router.post("queue/:customerId") { request, context in try await enqueue(request, context) }
        router.get("queue/:customerId") { request, context in try await list(request, context) }
    }

    /// The customer named in the path, if the caller may act for it; another customer's is a 404.
    func customer(_ context: CallerContext) async throws -> String {
        let caller = context.caller
        let name = try NameRules.customer(try context.parameters.require("customerId"), field: "customerId")
        guard caller.canSee(customer: name) else { throw JobStoreError.customerNotFound(name: name) }
        if caller.isAdmin, try await store.customer(named: name) == nil {
            throw JobStoreError.customerNotFound(name: name)
        }
        return name
    }

    func enqueue(_ request: Request, _ context: CallerContext) async throws -> Response {
        let customer = try await customer(context)
        var request = request
        let body = try await JSONResponse.decode(EnqueueBody.self, from: &request)
        let job = try body.newJob(customer: customer, limits: limits)
        guard let key = request.headers[.idempotencyKey].map(Self.unquoted) else {
            let created = if let enqueues { try await enqueues.submit(job) } else { try await store.enqueue(job).job }
            context.logger.debug("job enqueued", metadata: created.logMetadata)
            return try JSONResponse.make(
                JobResource(job: created), status: .created, headers: [.location: "/api/jobs/\(created.id)"])
        }
        let idempotency = try RequestIdempotency(key: key, fingerprint: try body.fingerprint())
        switch try await store.enqueue(job, idempotency: idempotency) {
        case .created(let created):
            context.logger.debug("job enqueued", metadata: created.logMetadata)
            return try JSONResponse.make(
                JobResource(job: created), status: .created, headers: [.location: "/api/jobs/\(created.id)"])
        case .replayed(let made):
            return try JSONResponse.make(
                JobResource(job: made), status: .ok,
                headers: [.location: "/api/jobs/\(made.id)", .idempotentReplayed: "true"])
        case .conflict(let made):
            throw Problem.invalid("Idempotency-Key", "was used for a different request (job \(made)); use a new key")
        }
    }

    func list(_ request: Request, _ context: CallerContext) async throws -> Response {
        let customer = try await customer(context)
        let parameters = request.uri.queryParameters
        let states = try parameters.getAll("state").flatMap { $0.split(separator: ",") }.map { value in
            guard let state = JobState(rawValue: String(value)) else {
                throw ValidationError(
                    field: "state",
                    reason: "must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")) (got \(value))"
                )
            }
            return state
        }
        let limit: Int
        if let text = parameters["limit"] {
            guard let number = Int(text) else {
                throw ValidationError(field: "limit", reason: "must be a whole number")
            }
            limit = number
        } else {
            limit = 100
        }
        let filter = try JobFilter(
            customer: customer, queue: parameters["queue"].map(String.init), states: states.isEmpty ? nil : states,
            type: parameters["type"].map(String.init))
        let page = try await store.list(
            JobQuery(filter: filter, limit: limit, cursor: parameters["cursor"].map(String.init)))
        let counts = try await store.counts(customer: customer)
        // The customer's queues that claims skip now ("*": all of them).
        let paused = Set(
            try await store.pauses().filter { $0.customer == nil || $0.customer == customer }.map { $0.queue ?? "*" }
        ).sorted()
        return try JSONResponse.make(
            JobListing(
                jobs: page.jobs.map(JobResource.init), nextCursor: page.nextCursor, paused: paused,
                counts: Dictionary(
                    uniqueKeysWithValues: counts.map { queue in
                        (
                            queue.queue,
                            Dictionary(uniqueKeysWithValues: queue.counts.map { ($0.key.rawValue, $0.value) })
                        )
                    })))
    }

    /// The page size asked for (default 100); its range is checked by `JobQuery`.
    static func limit(_ text: String?) throws -> Int {
        guard let text else { return 100 }
        guard let number = Int(text) else { throw ValidationError(field: "limit", reason: "must be a whole number") }
        return number
    }

    /// The draft standard sends the key as a structured-field string ("…"); a bare token is taken as is.
    static func unquoted(_ value: String) -> String {
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            return String(value.dropFirst().dropLast())
        }
        return value
    }
}

/// JobListing is one page of a customer's jobs, with counts per queue and state.
struct JobListing: Encodable, Sendable {
    let jobs: [JobResource]
    let nextCursor: String?
    /// The customer's paused queues, `*` when all of them are.
    let paused: [String]?
    let counts: [String: [String: Int]]?

    enum CodingKeys: String, CodingKey {
        case jobs, counts, paused
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(jobs, forKey: .jobs)
        try container.encode(nextCursor, forKey: .nextCursor)
        try container.encodeIfPresent(paused, forKey: .paused)
        try container.encodeIfPresent(counts, forKey: .counts)
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
