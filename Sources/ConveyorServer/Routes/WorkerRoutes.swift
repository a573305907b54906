import ConveyorCore
import Foundation
import Hummingbird
import ServiceLifecycle

/// WorkerRoutes are the lease protocol for workers in any language: claim (long-polling until a
/// job arrives or the wait is over), then heartbeat, complete or fail each job with its lease
/// token. A customer key claims and settles only its own customer's jobs; a lost lease is a 409.
struct WorkerRoutes {
    let store: any JobQueue & JobQueries
    let waiters: ClaimWaiters
    /// The largest result a completion may carry (`limits.resultBytes`).
    var limits = JobLimits.default
    /// Completions group-committed (the caller runs it), as enqueues are; nil: one transaction each.
    var completions: GroupCommit<Completion, Job>? = nil
    /// Heartbeats' progress reports, coalesced (the caller runs it); nil: each written as it comes.
    var progress: ProgressWriter? = nil

    /// Completions from concurrent requests, written together: workers over HTTP complete each job
    /// with a request of its own, and one transaction per completion made the lease protocol drain
    /// at a fifth of an in-process worker's pace. Each lease is still checked on its own.
    static func groupCommit(_ store: any JobQueue) -> GroupCommit<Completion, Job> {
        GroupCommit(maxBatch: 1000) { completions in
            try await store.complete(batch: completions).map { $0.mapError { $0 as any Error } }
        }
    }
    /// How often a long-poll looks again when nothing rings (jobs enqueued by another process on
    /// SQLite, retries falling due).
    static let pollInterval = Duration.seconds(1)
    static let maxWait = 60.0

    /// Claims on `claims` (the worker quota), heartbeats, completions and failures on `leases`
    /// (never limited for a valid key).
    func register(claims: RouterGroup<CallerContext>, leases router: RouterGroup<CallerContext>) {
        claims.post("workers/claim") { request, context in try await claim(request, context) }
        router.post("jobs/:id/heartbeat") { request, context in
            let (lease, body) = try await lease(request, context, as: HeartbeatBody.self)
            try body.progress?.checkSize(limitBytes: limits.progressBytes, field: "progress")
            var job = try await store.heartbeat(lease, extendBy: try Self.lease(seconds: body.leaseSeconds))
            if let report = body.progress {
                if let progress {
                    progress.report(report, for: lease)
                } else {
                    job = try await store.recordProgress(lease, report)
                }
            }
            return try JSONResponse.make(JobResource(job: job))
        }
        router.post("jobs/:id/complete") { request, context in
            let (lease, body) = try await lease(request, context, as: CompleteBody.self)
            try body.result?.checkSize(limitBytes: limits.resultBytes, field: "result")
            let completion = Completion(lease, result: body.result)
            await progress?.end(lease.jobID)
            let done =
                if let completions { try await completions.submit(completion) } else {
                    try await store.complete(completion)
                }
            context.logger.debug("job completed", metadata: done.logMetadata)
            return try JSONResponse.make(JobResource(job: done))
        }
        router.post("jobs/:id/fail") { request, context in
            let (lease, body) = try await lease(request, context, as: FailBody.self)
            await progress?.end(lease.jobID)
            let failed = try await store.fail(lease, message: body.error, retryable: body.retryable ?? true)
            context.logger.warning(
                "job failed", metadata: failed.logMetadata.merging(["error": .string(body.error)]) { $1 })
            return try JSONResponse.make(JobResource(job: failed))
        }
    }

    func claim(_ request: Request, _ context: CallerContext) async throws -> Response {
        let caller = context.caller
        var request = request
        let body = try await JSONResponse.decode(ClaimBody.self, from: &request)
        let wait = body.waitSeconds ?? 0
        guard wait.isFinite, (0...Self.maxWait).contains(wait) else {
            throw ValidationError(field: "wait_seconds", reason: "must be between 0 and \(Int(Self.maxWait))")
        }
        if let workerID = body.workerID, workerID.isEmpty || workerID.utf8.count > 255 {
            throw ValidationError(field: "worker_id", reason: "must be 1–255 characters")
        }
        let customer = caller.customer
        for queue in body.queues { _ = try NameRules.queue(queue, field: "queues") }
        let claim = try ClaimRequest(
            queues: body.queues, customer: customer, limit: body.max ?? 1,
            lease: try Self.lease(seconds: body.leaseSeconds), workerID: body.workerID)
        let deadline = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
        // A customer's place among the waiting claims: taken before the first wait, held until the answer.
        var waiting = false
        defer { if waiting, let customer { waiters.leave(customer) } }
        while true {
            // Taken before the claim, so an enqueue between an empty claim and the wait still wakes it.
            let ticket = store.wakeups.ticket()
            let jobs = try await store.claim(claim)
            let remaining = deadline - .now
            // A server shutting down answers waiting claims at once (with what they have), so
            // that SIGTERM does not wait out a minute-long poll.
            for job in jobs { context.logger.debug("job claimed", metadata: job.logMetadata) }
            if !jobs.isEmpty || remaining <= .zero || Task.isCancelled || Task.isShuttingDownGracefully {
                return try JSONResponse.make(ClaimAnswer(jobs: jobs.map(ClaimedJob.init)))
            }
            if !waiting, let customer {
                guard waiters.enter(customer) else { throw waiters.refusal() }
                waiting = true
            }
            let wakeups = store.wakeups
            await withGracefulShutdownHandler {
                _ = await wakeups.wait(
                    for: Set(claim.queues), after: ticket, timeout: min(remaining, Self.pollInterval))
            } onGracefulShutdown: {
                wakeups.ringAll()
            }
        }
    }

    /// A `lease_seconds` (default 30) as a lease `ClaimRequest` allows. The range is checked
    /// before the conversion: a huge number would overflow it.
    static func lease(seconds: Double?) throws -> Duration {
        let seconds = seconds ?? 30
        let allowed = ClaimRequest.leases
        guard seconds.isFinite, (allowed.lowerBound.timeInterval...allowed.upperBound.timeInterval).contains(seconds)
        else {
            throw ValidationError(field: "lease_seconds", reason: "must be between 1 and 86400 seconds")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// The lease the body presents for the job in the path, held to the caller's customer: the
    /// store refuses it as not found on another customer's job, as it would a job that does not
    /// exist — the visibility rule, checked in the write itself rather than by a read before it
    /// (a read per heartbeat and completion was a tenth of the lease protocol's drain).
    func lease<Body: Decodable & LeaseBearing>(
        _ request: Request, _ context: CallerContext, as: Body.Type
    ) async throws -> (Lease, Body) {
        let text = try context.parameters.require("id")
        guard let id = JobID(text) else { throw ValidationError(field: "id", reason: "must be a job id (a UUID)") }
        var request = request
        let body = try await JSONResponse.decode(Body.self, from: &request)
        guard !body.leaseToken.isEmpty else { throw ValidationError(field: "lease_token", reason: "must not be empty") }
        return (Lease(jobID: id, token: body.leaseToken, customer: context.caller.customer), body)
    }
}

protocol LeaseBearing {
    var leaseToken: String { get }
}

struct ClaimBody: Decodable, Sendable {
    let workerID: String?
    let queues: [String]
    let max: Int?
    let leaseSeconds: Double?
    let waitSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case queues, max
        case workerID = "worker_id"
        case leaseSeconds = "lease_seconds"
        case waitSeconds = "wait_seconds"
    }
}

/// CompleteBody is a completion: the lease, and the job's result — one JSON value, kept byte for
/// byte — if it has one.
struct CompleteBody: Decodable, Sendable, LeaseBearing {
    let leaseToken: String
    let result: JobPayload?

    enum CodingKeys: String, CodingKey {
        case result
        case leaseToken = "lease_token"
    }
}

struct HeartbeatBody: Decodable, Sendable, LeaseBearing {
    let leaseToken: String
    let leaseSeconds: Double?
    /// How far the job has come: one JSON value, kept byte for byte (at most 4 KiB).
    let progress: JobPayload?

    enum CodingKeys: String, CodingKey {
        case progress
        case leaseToken = "lease_token"
        case leaseSeconds = "lease_seconds"
    }
}

struct FailBody: Decodable, Sendable, LeaseBearing {
    let leaseToken: String
    let error: String
    let retryable: Bool?

    enum CodingKeys: String, CodingKey {
        case error, retryable
        case leaseToken = "lease_token"
    }
}

/// ClaimedJob is a job as its claiming worker gets it: with the lease token it must present.
struct ClaimedJob: Encodable, Sendable {
    let job: Job

    enum CodingKeys: String, CodingKey {
        case leaseToken = "lease_token"
    }

    func encode(to encoder: any Encoder) throws {
        try JobResource(job: job).encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job.leaseToken, forKey: .leaseToken)
    }
}

struct ClaimAnswer: Encodable, Sendable {
    let jobs: [ClaimedJob]
}
