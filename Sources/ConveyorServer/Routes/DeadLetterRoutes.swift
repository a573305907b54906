import ConveyorCore
import Foundation
import Hummingbird

/// DeadLetterRoutes are the dead-letter queue: list dead jobs, replay them (by id or by filter),
/// delete one. A customer key sees and touches only its own customer's dead jobs. A replay or
/// purge by filter reads at most 1,000 dead jobs a call and answers their count and ids (never
/// payloads), with a cursor for the next call when more may match.
struct DeadLetterRoutes {
    let store: any DeadLetterStore & RetentionStore & JobQueries
    /// What `POST /api/dlq/prune` keeps (`RETENTION_*`).
    let retention: RetentionPolicy

    /// Registers the routes; pruning applies to every customer, so it is in the admin group.
    func register(on router: RouterGroup<CallerContext>, admin: RouterGroup<AdminContext>) {
        router.get("dlq") { request, context in
            let caller = context.caller
            let parameters = request.uri.queryParameters
            let filter = try filter(
                caller, customer: parameters["customer"].map(String.init), queue: parameters["queue"].map(String.init),
                type: parameters["type"].map(String.init), states: [.dead])
            let limit = try QueueRoutes.limit(parameters["limit"].map(String.init))
            let page = try await store.list(
                JobQuery(filter: filter, limit: limit, cursor: parameters["cursor"].map(String.init)))
            return try JSONResponse.make(
                JobListing(jobs: page.jobs.map(JobResource.init), nextCursor: page.nextCursor, paused: nil, counts: nil)
            )
        }
        router.post("dlq/replay") { request, context in
            let caller = context.caller
            var request = request
            let body = try await JSONResponse.decode(SelectionBody.self, from: &request)
            if let pace = body.perSecond, !(pace.isFinite && pace > 0 && pace <= 10_000) {
                throw ValidationError(field: "per_second", reason: "must be a number above 0, at most 10000")
            }
            let replayed = try await store.replay(try await selection(body, caller), perSecond: body.perSecond)
            context.logger.notice(
                "dead jobs replayed",
                metadata: [
                    "jobs": .stringConvertible(replayed.jobs.count),
                    "per_second": .string(body.perSecond.map { "\($0)" } ?? "all at once"),
                ])
            return try JSONResponse.make(DeadLetterAnswer(replayed, verb: .replayed))
        }
        router.post("dlq/purge") { request, context in
            let caller = context.caller
            var request = request
            let body = try await JSONResponse.decode(SelectionBody.self, from: &request)
            guard body.perSecond == nil else {
                throw ValidationError(field: "per_second", reason: "paces a replay; a purge takes none")
            }
            let purged = try await store.purge(try await selection(body, caller))
            context.logger.notice("dead jobs purged", metadata: ["jobs": "\(purged.jobs.count)"])
            return try JSONResponse.make(DeadLetterAnswer(purged, verb: .purged))
        }
        router.delete("dlq/:id") { _, context in
            let job = try await store.visibleJob(context)
            _ = try await store.purge(.ids([job.id]))
            return Response(status: .noContent)
        }
        admin.post("dlq/prune") { request, context in
            var request = request
            let body = try await JSONResponse.decode(PruneBody.self, from: &request)
            var policy = retention
            if let age = body.deadMaxAgeSeconds {
                guard age.isFinite, age >= 0, age <= 10 * 365 * 86_400 else {
                    throw ValidationError(field: "dead_max_age_seconds", reason: "must be 0 to 315360000 seconds")
                }
                policy.dead = .milliseconds(Int64(age * 1000))
            }
            if let count = body.deadMaxCount {
                guard count >= 0 else { throw ValidationError(field: "dead_max_count", reason: "must be 0 or more") }
                policy.deadMaxCount = count
            }
            let report = try await store.prune(policy)
            context.logger.notice(
                "pruned",
                metadata: [
                    "completed": "\(report.completed)", "cancelled": "\(report.cancelled)", "dead": "\(report.dead)",
                ])
            return try JSONResponse.make(PruneAnswer(report))
        }
    }

    /// The dead jobs a replay or purge body names: ids (each visible to the caller, or 404 as if
    /// absent) or a filter (held to the caller's own customer).
    func selection(_ body: SelectionBody, _ caller: Caller) async throws -> DeadLetterSelection {
        if body.cursor != nil, body.filter == nil {
            throw ValidationError(field: "cursor", reason: "goes on with a filter; give the same filter with it")
        }
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
            return .ids(ids)
        case (nil, .some(let given)):
            let cursor = try body.cursor.map(DeadLetterCursor.init(parsing:))
            return .matching(
                try DeadLetterFilter(
                    try filter(caller, customer: given.customer, queue: given.queue, type: given.type, states: nil),
                    errorContains: given.error, diedAfter: given.diedAfter, diedBefore: given.diedBefore,
                    after: cursor?.after, turnsFrom: cursor?.turnsFrom))
        default:
            throw ValidationError(field: "ids", reason: "give either ids or filter, not both and not neither")
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

/// SelectionBody names dead jobs to replay or purge: `ids`, or a `filter`; a replay may be paced.
struct SelectionBody: Decodable, Sendable {
    struct Filter: Decodable, Sendable {
        let customer: String?
        let queue: String?
        let type: String?
        /// Text in the last error, case-insensitive.
        let error: String?
        let diedAfter: Date?
        let diedBefore: Date?

        enum CodingKeys: String, CodingKey {
            case customer, queue, type, error
            case diedAfter = "died_after"
            case diedBefore = "died_before"
        }
    }

    let ids: [String]?
    let filter: Filter?
    /// At most this many replayed jobs become available a second.
    let perSecond: Double?
    /// Where the last call by this filter stopped (its `next_cursor`).
    let cursor: String?

    enum CodingKeys: String, CodingKey {
        case ids, filter, cursor
        case perSecond = "per_second"
    }
}

/// DeadLetterAnswer is what a replay or purge did: how many dead jobs, which, and where a call by
/// the same filter goes on (null: nothing more matches).
struct DeadLetterAnswer: Encodable, Sendable {
    enum Verb: String { case replayed, purged }

    let batch: DeadLetterBatch
    let verb: Verb

    init(_ batch: DeadLetterBatch, verb: Verb) {
        self.batch = batch
        self.verb = verb
    }

    enum CodingKeys: String, CodingKey {
        case replayed, purged, ids
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(batch.jobs.count, forKey: verb == .replayed ? .replayed : .purged)
        try container.encode(batch.jobs.map(\.id.description), forKey: .ids)
        try container.encode(DeadLetterCursor(batch)?.text, forKey: .nextCursor)
    }
}

/// DeadLetterCursor is where a replay or purge by filter goes on: after a job id, and for a paced
/// replay from the next job's turn — `ID` or `ID@MILLISECONDS`, opaque to clients.
struct DeadLetterCursor {
    let after: JobID
    let turnsFrom: Date?

    init?(_ batch: DeadLetterBatch) {
        guard let next = batch.next else { return nil }
        after = next
        turnsFrom = batch.nextTurn
    }

    init(parsing text: String) throws(ValidationError) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count <= 2, let id = JobID(String(parts[0])) else {
            throw ValidationError(field: "cursor", reason: "is not a cursor this API gave")
        }
        after = id
        if parts.count == 2 {
            // A time a job can be scheduled at: from 1970 to the end of year 9999.
            guard let millis = Int64(parts[1]), (0...253_402_300_799_999).contains(millis) else {
                throw ValidationError(field: "cursor", reason: "is not a cursor this API gave")
            }
            turnsFrom = Date(unixMilliseconds: millis)
        } else {
            turnsFrom = nil
        }
    }

    var text: String { after.description + (turnsFrom.map { "@\($0.unixMilliseconds)" } ?? "") }
}

/// PruneBody overrides the configured retention of dead jobs for one pass.
struct PruneBody: Decodable, Sendable {
    let deadMaxAgeSeconds: Double?
    let deadMaxCount: Int?

    enum CodingKeys: String, CodingKey {
        case deadMaxAgeSeconds = "dead_max_age_seconds"
        case deadMaxCount = "dead_max_count"
    }
}

struct PruneAnswer: Encodable, Sendable {
    let completed: Int
    let cancelled: Int
    let dead: Int

    init(_ report: PruneReport) {
        completed = report.completed
        cancelled = report.cancelled
        dead = report.dead
    }
}
