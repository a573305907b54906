public import ConveyorCore
import Foundation
import PostgresNIO

extension PostgresJobStore {
    public func enqueue(_ job: NewJob) async throws -> EnqueueResult {
        try await enqueue(batch: [job])[0]
    }

    public func enqueue(batch requests: [NewJob]) async throws -> [EnqueueResult] {
        let logger = self.logger
        let results = try await transaction { connection, now -> [EnqueueResult] in
            // Within the batch, a repeated key maps to its first job.
            var firstWithKey: [String: Int] = [:]
            var jobs: [Job] = []
            var sameAs: [Int?] = []
            for request in requests {
                if let key = request.idempotencyKey {
                    let scope = "\(request.customer)\u{0}\(request.queue)\u{0}\(key)"
                    if let index = firstWithKey[scope] {
                        sameAs.append(index)
                        continue
                    }
                    firstWithKey[scope] = sameAs.count
                }
                sameAs.append(nil)
                jobs.append(Job(accepting: request, id: .generate(at: now), at: now))
            }
            let inserted = try await PostgresJobRow.insert(jobs, connection, logger: logger)
            var fresh = jobs.makeIterator()
            var results: [EnqueueResult] = []
            for (index, request) in requests.enumerated() {
                if let first = sameAs[index] {
                    results.append(EnqueueResult(job: results[first].job, inserted: false))
                    continue
                }
                let job = fresh.next()!
                if inserted.contains(job.id.description) {
                    results.append(EnqueueResult(job: job, inserted: true))
                } else {
                    // An unfinished job already holds the key: return it.
                    let existing = try await PostgresJobRow.fetch(
                        connection,
                        """
                        SELECT \(unescaped: PostgresJobRow.columns) FROM jobs
                        WHERE customer = \(request.customer) AND queue = \(request.queue)
                          AND idempotency_key = \(request.idempotencyKey) AND state NOT IN ('completed', 'dead', 'cancelled')
                        """, logger: logger)
                    guard let holder = existing.first else {
                        throw JobStoreError.unavailable(reason: "an enqueue conflicted with a job that then vanished")
                    }
                    results.append(EnqueueResult(job: holder, inserted: false))
                }
            }
            try await Self.notify(
                results.filter { $0.inserted && $0.job.state == .available }.map(\.job.queue), connection,
                logger: logger)
            return results
        }
        wakeups.ring(results.filter { $0.inserted && $0.job.state == .available }.map(\.job.queue))
        return results
    }

    public func claim(_ request: ClaimRequest) async throws -> [Job] {
        let logger = self.logger
        return try await transaction { connection, now in
            var query: PostgresQuery = """
                SELECT \(unescaped: PostgresJobRow.columns) FROM jobs
                WHERE state IN ('scheduled', 'available', 'retryable') AND queue = ANY(\(request.queues))
                  AND run_at <= to_timestamp(\(now.unixMilliseconds) / 1000.0)
                """
            if let customer = request.customer {
                query = """
                    SELECT \(unescaped: PostgresJobRow.columns) FROM jobs
                    WHERE state IN ('scheduled', 'available', 'retryable') AND queue = ANY(\(request.queues))
                      AND run_at <= to_timestamp(\(now.unixMilliseconds) / 1000.0) AND customer = \(customer)
                    """
            }
            // SKIP LOCKED: concurrent claimers take different jobs instead of queueing behind one.
            query.sql += " ORDER BY priority, run_at, id LIMIT \(request.limit) FOR UPDATE SKIP LOCKED"
            var jobs = try await PostgresJobRow.fetch(connection, query, logger: logger)
            for index in jobs.indices {
                try jobs[index].claim(
                    token: Job.newLeaseToken(), workerID: request.workerID, lease: request.lease, at: now)
            }
            try await PostgresJobRow.update(jobs, connection, logger: logger)
            return jobs
        }
    }

    public func heartbeat(_ lease: Lease, extendBy duration: Duration) async throws -> Job {
        try await change(lease.jobID) { job, now in try job.heartbeat(token: lease.token, lease: duration, at: now) }
    }

    public func complete(_ lease: Lease) async throws -> Job {
        try await change(lease.jobID) { job, now in try job.complete(token: lease.token, at: now) }
    }

    public func complete(batch leases: [Lease]) async throws -> [Result<Job, JobStoreError>] {
        guard !leases.isEmpty else { return [] }
        let logger = self.logger
        return try await transaction { connection, now in
            let ids = leases.map(\.jobID.description)
            let found = try await PostgresJobRow.fetch(
                connection,
                "SELECT \(unescaped: PostgresJobRow.columns) FROM jobs WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE",
                logger: logger)
            let (results, changed) = Job.complete(leases, among: found, at: now)
            try await PostgresJobRow.update(changed, connection, logger: logger)
            return results
        }
    }

    public func fail(_ lease: Lease, message: String, retryable: Bool) async throws -> Job {
        let policy = options.store.retryPolicy
        let limits = options.store.limits
        return try await change(lease.jobID) { job, now in
            try job.fail(
                token: lease.token, message: message, retryable: retryable, policy: policy,
                unitRandom: Double.random(in: 0..<1), limits: limits, at: now)
        }
    }

    public func release(_ lease: Lease, after delay: Duration) async throws -> Job {
        let job = try await change(lease.jobID, announce: true) { job, now in
            try job.release(token: lease.token, after: delay, at: now)
        }
        if job.state == .available { wakeups.ring([job.queue]) }
        return job
    }

    public func cancel(id: JobID) async throws -> Job {
        try await change(id) { job, now in try job.cancel(at: now) }
    }
}
