public import ConveyorCore
import Foundation
import GRDB
import Synchronization

/// SQLiteJobStore's the job queue and its leases (`JobQueue`).
extension SQLiteJobStore {
    public func enqueue(batch jobs: [NewJob]) async throws -> [EnqueueResult] {
        let results = try await write { db, now in
            try jobs.map { request in
                if let key = request.idempotencyKey,
                    let existing = try JobRow.fetchAll(
                        db,
                        sql: """
                            SELECT \(JobRow.columns) FROM jobs
                            WHERE customer = ? AND queue = ? AND idempotency_key = ? AND state NOT IN \(JobRow.finishedStates)
                            """,
                        arguments: [request.customer, request.queue, key]
                    ).first
                {
                    return EnqueueResult(job: existing, inserted: false)
                }
                let job = Job(accepting: request, id: .generate(at: now), at: now)
                try JobRow.insert(job, db)
                try EventRow.record(job.events(since: nil, at: now), db)
                return EnqueueResult(job: job, inserted: true)
            }.checkingBacklogQuotas(of: self, db)
        }
        eventsRecorded.ringAll()
        // Rung after the commit, so a woken worker finds the jobs.
        wakeups.ring(results.filter { $0.inserted && $0.job.state == .available }.map(\.job.queue))
        return results
    }

    public func enqueue(_ request: NewJob, idempotency: RequestIdempotency) async throws -> IdempotentEnqueue {
        let result = try await write { db, now -> IdempotentEnqueue in
            let cutoff = now.adding(.zero - RequestIdempotency.retention).unixMilliseconds
            if let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT fingerprint, job_id FROM idempotency_keys WHERE customer = ? AND key = ? AND created_at > ?
                    """,
                arguments: [request.customer, idempotency.key, cutoff]),
                let jobID = JobID(row["job_id"] as String)
            {
                let fingerprint: String = row["fingerprint"]
                guard fingerprint == idempotency.fingerprint else { return .conflict(jobID) }
                let made = try JobRow.fetchAll(
                    db, sql: "SELECT \(JobRow.columns) FROM jobs WHERE id = ?", arguments: [jobID.description])
                if let job = made.first { return .replayed(job) }
                // The job was pruned: the key is forgotten with it.
            }
            try db.execute(
                sql: "DELETE FROM idempotency_keys WHERE customer = ? AND key = ?",
                arguments: [request.customer, idempotency.key])
            let job = Job(accepting: request, id: .generate(at: now), at: now)
            try JobRow.insert(job, db)
            try EventRow.record(job.events(since: nil, at: now), db)
            _ = try [EnqueueResult(job: job, inserted: true)].checkingBacklogQuotas(of: self, db)
            try db.execute(
                sql: """
                    INSERT INTO idempotency_keys (customer, key, fingerprint, job_id, created_at) VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    request.customer, idempotency.key, idempotency.fingerprint, job.id.description,
                    now.unixMilliseconds,
                ])
            return .created(job)
        }
        if case .created(let job) = result {
            eventsRecorded.ringAll()
            if job.state == .available { wakeups.ring([job.queue]) }
        }
        return result
    }

    /// Shares the queues between customers by `FairClaim`: the shares with the smallest pass
    /// that have a job to run now and room under their caps, the jobs with the smallest virtual
    /// times among them. A candidate that runs out (its last jobs taken here or by an earlier
    /// claim) leaves the claim short: the claim goes on to the next shares, so that it comes back
    /// short only when no other share has a job it may run.
    public func claim(_ request: ClaimRequest) async throws -> [Job] {
        defer { eventsRecorded.ringAll() }
        return try await write { db, now in
            // Only the caps that can bind these queues: every customer with webhooks has one on
            // `_webhooks`, which a claim of other queues need not read.
            let caps = try Self.caps(db, queues: request.queues)
            var claimed: [Job] = []
            while claimed.count < request.limit {
                let round = try Self.claimRound(
                    request, limit: request.limit - claimed.count, caps: caps, at: now, db)
                claimed += round.jobs
                if !round.ranOut { break }
            }
            // In claim order, as PostgreSQL's claim gives them back.
            return claimed.sorted { $0.precedesInClaimOrder($1) }
        }
    }

    /// One pass of `FairClaim` over the shares as they stand: the jobs it claimed, and whether a
    /// candidate ran out (its ready_at has moved on, so another pass sees other shares).
    static func claimRound(
        _ request: ClaimRequest, limit: Int, caps: [ConcurrencyCap], at now: Date, _ db: Database
    ) throws -> (jobs: [Job], ranOut: Bool) {
        let nowMs = now.unixMilliseconds
        var shares: [QueueShare] = []
        for queue in request.queues {
            var sql = """
                SELECT s.queue, s.customer, s.pass, coalesce(c.weight, 1.0) AS weight
                FROM queue_shares s LEFT JOIN customers c ON c.name = s.customer
                WHERE s.queue = ? AND s.ready_at IS NOT NULL AND s.ready_at <= ?
                  AND NOT EXISTS (
                      SELECT 1 FROM pauses p WHERE p.queue IN (s.queue, '') AND p.customer IN (s.customer, ''))
                  AND NOT EXISTS (
                      SELECT 1 FROM concurrency_caps k
                      WHERE k.queue IN (s.queue, '') AND k.customer IN (s.customer, '')
                        AND k.max_running <= (
                            SELECT count(*) FROM jobs AS j INDEXED BY jobs_running_lease
                            WHERE j.state = 'running' AND (k.queue = '' OR j.queue = k.queue)
                              AND (k.customer = '' OR j.customer = k.customer)))
                """
            var arguments: StatementArguments = [queue, nowMs]
            if let customer = request.customer {
                sql += " AND s.customer = ?"
                arguments += [customer]
            }
            // One share more than the candidates: whether the claim chooses between shares at all.
            sql += " ORDER BY s.pass, s.customer LIMIT ?"
            arguments += [FairClaim.candidateCount(limit: limit) + 1]
            for row in try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments) {
                shares.append(
                    QueueShare(
                        queue: row["queue"], customer: row["customer"], pass: row["pass"], weight: row["weight"]))
            }
        }
        let candidates = FairClaim.candidates(shares, limit: limit)
        let rooms = try rooms(candidates, caps: caps, db)
        let reads = FairClaim.reads(candidates, limit: limit, rooms: rooms)
        // One job more than each candidate may give: whether the jobs it gives here are its last,
        // so that a share emptied here leaves the shares at once, not after a later claim's
        // candidate comes back empty (a customer of 20 jobs read 4 at a time: one read in six).
        let lookahead = try waiting(candidates, reads: reads.map { $0 + 1 }, nowMs: nowMs, db)
        let waiting = zip(lookahead, reads).map { Array($0.prefix($1)) }
        var taken = [Int](repeating: 0, count: candidates.count)
        let picked = FairClaim.pick(candidates, waiting: waiting, limit: limit, rooms: rooms)
        var tokens = LeaseTokens(count: picked.count)
        let claimed = try picked.map { share, candidate in
            var job = candidate
            try job.claim(token: tokens.take(), workerID: request.workerID, lease: request.lease, at: now)
            try JobRow.updateLease(job, db)
            try EventRow.record(job.events(since: candidate, at: now), db)
            taken[share] += 1
            return job
        }
        // Alone, a share's pass orders nothing, and a share joining later starts at it.
        if shares.count > 1 {
            let served = candidates.indices.filter { taken[$0] > 0 }
            try movePasses(served.map { (candidates[$0], candidates[$0].pass(after: taken[$0])) }, db)
        }
        var ranOut = false
        for (index, share) in candidates.enumerated()
        where FairClaim.ranOut(reads: reads[index] + 1, read: lookahead[index].count, taken: taken[index]) {
            ranOut = true
            // ready_at moves on to its earliest waiting job (NULL: none), the smallest of each
            // priority's first, each one step into the index.
            try db.cachedStatement(
                sql: """
                    UPDATE queue_shares SET ready_at = (
                        SELECT min((SELECT run_at FROM jobs
                                    WHERE queue = ?1 AND customer = ?2 AND priority = p.value
                                      AND state IN ('scheduled', 'available', 'retryable')
                                    ORDER BY run_at LIMIT 1))
                        FROM \(priorityValues) AS p)
                    WHERE queue = ?1 AND customer = ?2
                    """
            ).execute(arguments: [share.queue, share.customer])
        }
        return (claimed, ranOut)
    }

    /// Each candidate's first `reads` jobs that may run now, in its claim order: one statement for
    /// all of them (a subquery each, walking the claim-order index), since a claim over many
    /// customers would otherwise pay a statement per customer.
    static func waiting(_ candidates: [QueueShare], reads: [Int], nowMs: Int64, _ db: Database) throws -> [[Job]] {
        guard !candidates.isEmpty else { return [] }
        let one = """
            SELECT * FROM (SELECT \(JobRow.columns) FROM jobs
                WHERE queue = ? AND customer = ? AND state IN ('scheduled', 'available', 'retryable') AND run_at <= ?
                ORDER BY priority, run_at, id LIMIT ?)
            """
        var arguments: StatementArguments = []
        for (share, count) in zip(candidates, reads) { arguments += [share.queue, share.customer, nowMs, count] }
        let jobs = try JobRow.fetchAll(
            db, sql: Array(repeating: one, count: candidates.count).joined(separator: "\nUNION ALL\n"),
            arguments: arguments)
        var index: [QueueShareKey: Int] = [:]
        for (position, share) in candidates.enumerated() { index[QueueShareKey(share)] = position }
        var waiting = [[Job]](repeating: [], count: candidates.count)
        for job in jobs { waiting[index[QueueShareKey(queue: job.queue, customer: job.customer)]!].append(job) }
        // In claim order, whatever order the union gave them in.
        return waiting.map { jobs in jobs.sorted { $0.precedesInClaimOrder($1) } }
    }

    /// Sets the served shares' passes, in one statement.
    static func movePasses(_ served: [(share: QueueShare, pass: Double)], _ db: Database) throws {
        guard !served.isEmpty else { return }
        var arguments: StatementArguments = []
        for (share, pass) in served { arguments += [share.queue, share.customer, pass] }
        try db.cachedStatement(
            sql: """
                WITH served(queue, customer, pass) AS (VALUES \(Array(repeating: "(?, ?, ?)", count: served.count).joined(separator: ", ")))
                UPDATE queue_shares SET pass = served.pass FROM served
                WHERE queue_shares.queue = served.queue AND queue_shares.customer = served.customer
                """
        ).execute(arguments: arguments)
    }

    /// The priorities as an SQL table of one column, `value`.
    static let priorityValues =
        "(SELECT column1 AS value FROM (VALUES "
        + NewJob.priorities.map { "(\($0))" }.joined(separator: ", ") + "))"

    public func heartbeat(_ lease: Lease, extendBy duration: Duration) async throws -> Job {
        try await change(lease) { job, now in try job.heartbeat(token: lease.token, lease: duration, at: now) }
    }

    public func complete(_ completion: Completion) async throws -> Job {
        try await change(completion.lease) { job, now in
            try job.complete(token: completion.lease.token, result: completion.result, at: now)
        }
    }

    public func complete(batch completions: [Completion]) async throws -> [Result<Job, JobStoreError>] {
        defer { eventsRecorded.ringAll() }
        return try await write { db, now in
            let stored = try completions.compactMap { try JobRow.fetch($0.lease.jobID, db) }
            let (results, changed) = Job.complete(completions, among: stored, at: now)
            let before = Dictionary(stored.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for job in changed {
                try JobRow.updateLease(job, db)
                // Through the one rule (`Job.events`), which a webhook delivery's job records none by.
                try EventRow.record(job.events(since: before[job.id], at: now), db)
            }
            return results
        }
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
        let job = try await change(lease) { job, now in try job.release(token: lease.token, after: delay, at: now) }
        if job.state == .available { wakeups.ring([job.queue]) }
        return job
    }

    public func cancel(id: JobID) async throws -> Job {
        let wasRunning = Mutex(false)
        let job = try await change(id) { job, now in
            wasRunning.withLock { $0 = job.state == .running }
            try job.cancel(at: now)
        }
        // Other processes on the file learn it at their next lease renewal.
        if wasRunning.withLock({ $0 }) { cancellations.post(id) }
        return job
    }
}

extension [EnqueueResult] {
    /// These results, once no customer that gained jobs here has more waiting than its backlog
    /// quota (its own, else the store's); else `backlogQuotaExceeded`, which rolls the write back.
    /// Counted after the inserts, inside the write: writes are serialized, so the count is exact.
    func checkingBacklogQuotas(of store: SQLiteJobStore, _ db: Database) throws -> Self {
        for customer in Set(filter(\.inserted).map(\.job.customer)).sorted() {
            guard let quota = try store.backlogQuota(of: customer, db) else { continue }
            if try SQLiteJobStore.waitingJobs(of: customer, atMost: quota + 1, db) > quota {
                throw JobStoreError.backlogQuotaExceeded(customer: customer, quota: quota)
            }
        }
        return self
    }
}

extension SQLiteJobStore {
    /// The customer's backlog quota: its own, else the store's; nil for none.
    func backlogQuota(of customer: String, _ db: Database) throws -> Int? {
        let own = try Int.fetchOne(
            db.cachedStatement(sql: "SELECT backlog_quota FROM customers WHERE name = ?"), arguments: [customer])
        return own ?? options.store.backlogQuota
    }

    /// How many of the customer's jobs wait (counted up to `limit`), share by share off the
    /// claim-order index; its webhook deliveries are Conveyor's, not the customer's.
    static func waitingJobs(of customer: String, atMost limit: Int, _ db: Database) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT count(*) FROM (
                        SELECT 1 FROM queue_shares AS share
                        JOIN jobs ON jobs.queue = share.queue AND jobs.customer = share.customer
                        WHERE share.customer = ? AND share.queue <> '\(WebhookDelivery.queue)'
                          AND jobs.state IN ('scheduled', 'available', 'retryable')
                        LIMIT ?)
                    """), arguments: [customer, limit]) ?? 0
    }
}

/// QueueShareKey names a share: a queue and a customer.
struct QueueShareKey: Hashable {
    let queue: String
    let customer: String

    init(queue: String, customer: String) {
        self.queue = queue
        self.customer = customer
    }

    init(_ share: QueueShare) {
        self.init(queue: share.queue, customer: share.customer)
    }
}
