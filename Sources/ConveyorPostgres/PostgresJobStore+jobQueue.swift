public import ConveyorCore
import Foundation
import PostgresNIO
import Synchronization

/// PostgresJobStore's the job queue and its leases (`JobQueue`).
extension PostgresJobStore {
    /// One statement, one round trip without idempotency keys: the rows go in as binary column
    /// arrays and the same statement announces the queues (delivered at its commit). A key an
    /// unfinished job already holds returns that job instead; should the holder finish before it
    /// is read, the request is tried again — in one transaction, so that the batch stays all or
    /// nothing even then.
    public func enqueue(batch requests: [NewJob]) async throws -> [EnqueueResult] {
        defer { eventsRecorded.ringAll() }
        let logger = self.logger
        let quota = options.store.backlogQuota
        let keyed = requests.contains { $0.idempotencyKey != nil }
        @Sendable func insert(_ connection: PostgresConnection, _ now: Date) async throws -> [EnqueueResult] {
            var results = [EnqueueResult?](repeating: nil, count: requests.count)
            // Within the batch, a repeated key maps to its first job.
            var firstWithKey: [String: Int] = [:]
            var sameAs: [Int: Int] = [:]
            var pending: [Int] = []
            for (index, request) in requests.enumerated() {
                if let key = request.idempotencyKey {
                    let scope = "\(request.customer)\u{0}\(request.queue)\u{0}\(key)"
                    if let first = firstWithKey[scope] {
                        sameAs[index] = first
                        continue
                    }
                    firstWithKey[scope] = index
                }
                pending.append(index)
            }
            for _ in 0..<5 where !pending.isEmpty {
                let jobs = pending.map { Job(accepting: requests[$0], id: .generate(at: now), at: now) }
                let inserted = try await PostgresJobRow.insert(
                    jobs, defaultQuota: quota, connection, logger: logger)
                var conflicts: [Int] = []
                for (index, job) in zip(pending, jobs) {
                    if inserted.contains(job.id.description) {
                        results[index] = EnqueueResult(job: job, inserted: true)
                    } else {
                        conflicts.append(index)
                    }
                }
                pending = []
                // An unfinished job already holds the key: return it.
                for index in conflicts {
                    let request = requests[index]
                    let holder = try await PostgresJobRow.fetch(
                        connection,
                        """
                        SELECT \(unescaped: PostgresJobRow.columns) FROM jobs
                        WHERE customer = \(request.customer) AND queue = \(request.queue)
                          AND idempotency_key = \(request.idempotencyKey) AND state NOT IN ('completed', 'dead', 'cancelled')
                        """, logger: logger
                    ).first
                    if let holder {
                        results[index] = EnqueueResult(job: holder, inserted: false)
                    } else {
                        pending.append(index)
                    }
                }
            }
            guard pending.isEmpty else {
                throw JobStoreError.unavailable(reason: "an enqueue kept conflicting with jobs that then finished")
            }
            for (index, first) in sameAs { results[index] = EnqueueResult(job: results[first]!.job, inserted: false) }
            return results.map { $0! }
        }
        let results = keyed ? try await transaction(insert) : try await read(insert)
        wakeups.ring(results.filter { $0.inserted && $0.job.state == .available }.map(\.job.queue))
        return results
    }

    public func enqueue(_ request: NewJob, idempotency: RequestIdempotency) async throws -> IdempotentEnqueue {
        defer { eventsRecorded.ringAll() }
        let logger = self.logger
        let quota = options.store.backlogQuota
        let result = try await transaction { connection, now -> IdempotentEnqueue in
            // Requests with the same key take turns: the second sees what the first committed.
            try await connection.query(
                """
                SELECT pg_advisory_xact_lock(hashtextextended('conveyor-idempotency:' || \(request.customer) || ':' || \(idempotency.key), 0))
                """, logger: logger)
            let cutoff = now.adding(.zero - RequestIdempotency.retention)
            let rows = try await connection.query(
                """
                SELECT fingerprint, job_id FROM idempotency_keys
                WHERE customer = \(request.customer) AND key = \(idempotency.key)
                  AND created_at > to_timestamp(\(cutoff.unixMilliseconds) / 1000.0)
                """, logger: logger
            ).collect()
            if let row = rows.first {
                let (fingerprint, id) = try row.decode((String, String).self)
                if let jobID = JobID(id) {
                    guard fingerprint == idempotency.fingerprint else { return .conflict(jobID) }
                    let made = try await PostgresJobRow.fetch(
                        connection, "SELECT \(unescaped: PostgresJobRow.columns) FROM jobs WHERE id = \(id)",
                        logger: logger)
                    if let job = made.first { return .replayed(job) }
                }
                // The job was pruned: the key is forgotten with it.
            }
            try await connection.query(
                "DELETE FROM idempotency_keys WHERE customer = \(request.customer) AND key = \(idempotency.key)",
                logger: logger)
            let job = Job(accepting: request, id: .generate(at: now), at: now)
            _ = try await PostgresJobRow.insert([job], defaultQuota: quota, connection, logger: logger)
            try await connection.query(
                """
                INSERT INTO idempotency_keys (customer, key, fingerprint, job_id, created_at)
                VALUES (\(request.customer), \(idempotency.key), \(idempotency.fingerprint), \(job.id.description),
                        to_timestamp(\(now.unixMilliseconds) / 1000.0))
                """, logger: logger)
            return .created(job)
        }
        if case .created(let job) = result, job.state == .available { wakeups.ring([job.queue]) }
        return result
    }

    /// One statement, one round trip (`ClaimJobs`); the conformance suite holds it to the same
    /// behaviour as the SQLite engine, which runs `Job.claim` itself.
    public func claim(_ request: ClaimRequest) async throws -> [Job] {
        defer { eventsRecorded.ringAll() }
        let logger = self.logger
        return try await read { connection, now in
            let now = now.truncatedToMilliseconds
            let jobs = try await connection.all(
                ClaimJobs(
                    queues: request.queues, customer: request.customer, limit: request.limit,
                    nowMs: now.unixMilliseconds, expiresMs: now.adding(request.lease).unixMilliseconds,
                    workerID: request.workerID), logger: logger)
            // RETURNING follows no order: give the jobs back in claim order.
            return jobs.sorted { $0.precedesInClaimOrder($1) }
        }
    }

    public func heartbeat(_ lease: Lease, extendBy duration: Duration) async throws -> Job {
        try await change(lease) { job, now in try job.heartbeat(token: lease.token, lease: duration, at: now) }
    }

    /// One statement for the whole batch: `Job.complete`'s fencing (running, this token, lease
    /// unexpired) as the WHERE clause. Leases it did not match — rare: a lost lease or a vanished
    /// job — are read back and judged by the core, which names each one's error.
    public func complete(batch completions: [Completion]) async throws -> [Result<Job, JobStoreError>] {
        defer { eventsRecorded.ringAll() }
        guard !completions.isEmpty else { return [] }
        let logger = self.logger
        let leases = completions.map(\.lease)
        return try await read { connection, now in
            let nowMs = now.truncatedToMilliseconds.unixMilliseconds
            let completed = try await connection.all(
                CompleteJobs(
                    jobIDs: leases.map(\.jobID.description), tokens: leases.map(\.token), nowMs: nowMs,
                    results: completions.map { $0.result?.text ?? "" }, customers: leases.map { $0.customer ?? "" }),
                logger: logger)
            let byID = Dictionary(completed.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let unmatched = completions.filter { byID[$0.lease.jobID] == nil }
            var judged: [JobID: Result<Job, JobStoreError>] = [:]
            if !unmatched.isEmpty {
                let found = try await PostgresJobRow.fetch(
                    connection,
                    """
                    SELECT \(unescaped: PostgresJobRow.columns) FROM jobs
                    WHERE id = ANY(\(unmatched.map(\.lease.jobID.description)))
                    """, logger: logger)
                for (completion, result) in zip(unmatched, Job.complete(unmatched, among: found, at: now).results) {
                    // The row changed between the two statements: whatever it is now, this lease is over.
                    let id = completion.lease.jobID
                    judged[id] = result.flatMap { _ in .failure(.leaseLost(id: id)) }
                }
            }
            // A job named twice completes once, as `Job.complete(_:among:at:)` has it: the repeat
            // finds it finished and its lease gone.
            var seen: Set<JobID> = []
            return leases.map { lease in
                guard let job = byID[lease.jobID] else { return judged[lease.jobID]! }
                return seen.insert(lease.jobID).inserted ? .success(job) : .failure(.leaseLost(id: lease.jobID))
            }
        }
    }

    public func complete(_ completion: Completion) async throws -> Job {
        try await complete(batch: [completion])[0].get()
    }

    public func recordProgress(_ lease: Lease, _ progress: JobPayload) async throws -> Job {
        try await change(lease) { job, now in try job.recordProgress(token: lease.token, progress, at: now) }
    }

    public func fail(_ lease: Lease, message: String, retryable: Bool, retryAfter: Duration?) async throws -> Job {
        try await change(
            lease.jobID,
            Job.failing(lease, message: message, retryable: retryable, retryAfter: retryAfter, options: options.store))
    }

    public func release(_ lease: Lease, after delay: Duration) async throws -> Job {
        let job = try await change(lease, announce: true) { job, now in
            try job.release(token: lease.token, after: delay, at: now)
        }
        if job.state == .available { wakeups.ring([job.queue]) }
        return job
    }

    /// A running job's cancel is announced when it commits (`change`), so the worker holding it
    /// stops it at once, whichever process that is; this process's own are told here.
    public func cancel(id: JobID) async throws -> Job {
        let wasRunning = Mutex(false)
        let job = try await change(id) { job, now in
            wasRunning.withLock { $0 = job.state == .running }
            try job.cancel(at: now)
        }
        if wasRunning.withLock({ $0 }) { cancellations.post(id) }
        return job
    }
}
