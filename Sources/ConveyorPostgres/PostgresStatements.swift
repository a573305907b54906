import ConveyorCore
import PostgresNIO

// The hot statements — enqueue, claim, complete — are prepared once per connection: parsing and
// planning the bulk insert costs more than running it (pgbench: 1,400 inserts/s unprepared,
// 4,100 prepared, one client). Everything else runs as ordinary queries.

/// The states of the SQL below come from the core's transition table (`JobState.target(of:)`), so
/// the set-wise statements cannot drift from the rules every other write goes through.
enum TransitionSQL {
    /// `'a', 'b', …`: the states an event may leave from.
    static func sources(of event: JobEvent) -> String {
        JobState.allCases.filter { $0.target(of: event) != nil }.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }

    /// The one state an event leads to from each of its sources.
    static func target(of event: JobEvent) -> String {
        let targets = Set(JobState.allCases.compactMap { $0.target(of: event) })
        precondition(targets.count == 1, "\(event) must lead to one state for set-wise SQL")
        return "'\(targets.first!.rawValue)'"
    }
}

/// InsertJobs inserts new jobs — one array per column, sent in binary, so encoding 500 jobs costs
/// no JSON — and announces the queues that gained available jobs; rows: the ids inserted. A new
/// job has no lease, attempt, error or finish yet, so only the columns it has travel; an empty
/// idempotency key stands for none (a real key is never empty), as does an empty schedule (a
/// schedule's job carries its schedule and tick; the pair is unique). Under a backlog quota
/// (`conveyor_backlog_room`) the statement inserts nothing when a customer's jobs would pass it,
/// and its rows are then the refused customers' names, each after a `!` (an id never has one).
struct InsertJobs: PostgresPreparedStatement {
    static let name = "conveyor_insert_jobs"
    static let refusedMark = "!"
    static let sql = """
        WITH batch AS MATERIALIZED (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::text[],
                $8::int8[], $9::int8[], $10::text[], $11::int8[], $13::text[], $14::int8[])
                AS v(id, customer, queue, type, payload, priority, state, run_at, max_attempts, idempotency_key,
                    created_at, schedule, scheduled_for)
        ), refused AS MATERIALIZED (
            SELECT customer FROM (
                SELECT customer, count(*) AS count, conveyor_backlog_room(customer, $12::int8) AS room
                FROM batch GROUP BY customer) AS asked
            WHERE room < count
        ), inserted AS (
            INSERT INTO jobs (id, customer, queue, type, payload, priority, state, run_at, attempt, max_attempts,
                errors, replay_count, idempotency_key, created_at, schedule, scheduled_for)
            SELECT v.id, v.customer, v.queue, v.type, v.payload, v.priority, v.state, to_timestamp(v.run_at / 1000.0),
                0, v.max_attempts, '[]', 0, NULLIF(v.idempotency_key, ''), to_timestamp(v.created_at / 1000.0),
                NULLIF(v.schedule, ''), to_timestamp(NULLIF(v.scheduled_for, 0) / 1000.0)
            FROM batch AS v WHERE NOT EXISTS (SELECT 1 FROM refused)
            ON CONFLICT (customer, queue, idempotency_key)
                WHERE idempotency_key IS NOT NULL AND state NOT IN ('completed', 'dead', 'cancelled')
                DO NOTHING
            RETURNING id, customer, queue, type, state, run_at, created_at
        ), recorded AS (
            INSERT INTO job_events (customer, job_id, queue, type, kind, attempt, at, run_at)
            SELECT customer, id, queue, type, '\(EventKind.enqueued.rawValue)', 0, created_at, run_at FROM inserted
        ), announced AS (
            SELECT count(pg_notify('\(PostgresJobStore.channel)', queue)) AS queues
            FROM (SELECT DISTINCT queue FROM inserted WHERE state = 'available') AS q
        )
        SELECT inserted.id FROM inserted CROSS JOIN announced
        UNION ALL
        SELECT '\(refusedMark)' || customer FROM refused
        """

    let jobs: [Job]
    /// The quota of a customer without one of its own; nil: none.
    let defaultQuota: Int?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 14)
        bindings.append(jobs.map(\.id.description))
        bindings.append(jobs.map(\.customer))
        bindings.append(jobs.map(\.queue))
        bindings.append(jobs.map(\.type))
        bindings.append(jobs.map(\.payload.text))
        bindings.append(jobs.map { Int64($0.priority) })
        bindings.append(jobs.map(\.state.rawValue))
        bindings.append(jobs.map(\.runAt.unixMilliseconds))
        bindings.append(jobs.map { Int64($0.maxAttempts) })
        bindings.append(jobs.map { $0.idempotencyKey ?? "" })
        bindings.append(jobs.map(\.createdAt.unixMilliseconds))
        bindings.append(defaultQuota.map(Int64.init))
        bindings.append(jobs.map { $0.schedule ?? "" })
        bindings.append(jobs.map { $0.scheduledFor?.unixMilliseconds ?? 0 })
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
}

/// ClaimJobs is `Job.claim` applied set-wise in one statement, the form of the benchmark's raw-SQL
/// floor: claimable states once `run_at` has passed, in claim order, `attempt + 1`, a fresh random
/// token (gen_random_uuid: 122 random bits, as `LeaseTokens`) and the lease. SKIP LOCKED:
/// concurrent claimers take different jobs instead of queueing behind one. The states come from the
/// transition table and are literals, so that the planner matches the claim index's predicate
/// (which must list the same states: the conformance suite would catch a claim that misses one).
/// Each queue is read on its own (LATERAL) so that the partial claim index, which leads with the
/// queue, is walked in claim order and stops after `limit` rows; `queue = ANY(...)` instead sorts
/// every waiting job (23 ms per claim with 20,000 waiting, against 0.2 ms).
struct ClaimJobs: PostgresPreparedStatement {
    static let name = "conveyor_claim_jobs"
    /// `FairClaim` in SQL: the candidates (per queue, the shares with the smallest pass and a job
    /// to run now; one customer's own when the claim names one), each one's weight's part of the
    /// limit read in its claim order with SKIP LOCKED, the smallest virtual times taken; then
    /// the taken shares' pass moves on, and a share that ran out gets its ready_at moved to its
    /// earliest waiting job not taken here — unless jobs became waiting there since this statement
    /// began (its version moved), which the lock on the share row makes the recheck see. Under
    /// concurrency caps, the shares without room are no candidates and the others take at most
    /// their room (`FairClaim`), counted by `conveyor_running`, which serializes such claims.
    /// Leaves out the shares a pause holds back and those with no room under a cap.
    static let heldBack = """
        AND NOT EXISTS (
            SELECT 1 FROM pauses
            WHERE pauses.queue IN (queue_shares.queue, '') AND pauses.customer IN (queue_shares.customer, ''))
        AND NOT EXISTS (
            SELECT 1 FROM concurrency_caps AS cap
            WHERE cap.queue IN (queue_shares.queue, '') AND cap.customer IN (queue_shares.customer, '')
              AND cap.max_running <= conveyor_running(cap.queue, cap.customer))
        """
    /// `FairClaim.candidateCount(limit:)` of the limit, `$3`.
    static let candidateCount =
        "least($3, greatest(2, ($3 + \(FairClaim.quantum - 1)) / \(FairClaim.quantum)))"
    static let sql = """
        WITH ready AS MATERIALIZED (
            -- One share more than the candidates: whether the claim chooses between shares at all.
            -- The weight by key, per candidate: a join could read every customer for each claim.
            SELECT share.queue, share.customer, share.pass, share.version,
                coalesce((SELECT weight FROM customers WHERE name = share.customer), 1) AS weight
            FROM unnest($1::text[]) AS claimed(queue)
            CROSS JOIN LATERAL (
                -- The queue's shares walked in pass order one index step at a time, each filtered
                -- as it comes, until enough: a plain ORDER BY ... LIMIT is planned, until
                -- statistics know the queue's shares, as a read and a sort of all of them (15 ms
                -- a claim with 10,000 customers, 60 with the filters); the walk cannot be.
                -- (`walk AS queue_shares`: the filters name the table.)
                (WITH RECURSIVE walk AS (
                    (SELECT queue, customer, pass, version, ready_at FROM queue_shares
                     WHERE $2::text IS NULL AND queue = claimed.queue AND ready_at IS NOT NULL
                     ORDER BY pass, customer LIMIT 1)
                    UNION ALL
                    (SELECT next.* FROM walk CROSS JOIN LATERAL (
                        SELECT queue, customer, pass, version, ready_at FROM queue_shares
                        WHERE queue = walk.queue AND ready_at IS NOT NULL
                          AND (pass, customer) > (walk.pass, walk.customer)
                        ORDER BY pass, customer LIMIT 1) AS next))
                 SELECT queue, customer, pass, version FROM walk AS queue_shares
                 WHERE ready_at <= to_timestamp($4 / 1000.0) \(heldBack)
                 LIMIT \(candidateCount) + 1)
                UNION ALL
                (SELECT queue, customer, pass, version FROM queue_shares
                 WHERE $2::text IS NOT NULL AND queue = claimed.queue AND customer = $2::text
                   AND ready_at <= to_timestamp($4 / 1000.0) \(heldBack))
                ) AS share
            ORDER BY share.pass, share.queue, share.customer
            LIMIT \(candidateCount) + 1),
        -- Each candidate's room under the caps that bind it (`CapRoom`; NULL: none binds).
        candidates AS MATERIALIZED (
            SELECT share.*, room.share AS room, room.customer AS customer_room, room.queue AS queue_room
            FROM (SELECT * FROM ready ORDER BY pass, queue, customer LIMIT \(candidateCount)) AS share
            CROSS JOIN LATERAL (
                SELECT min(cap.max_running - cap.running) AS share,
                    min(cap.max_running - cap.running) FILTER (WHERE cap.queue = '') AS customer,
                    min(cap.max_running - cap.running) FILTER (WHERE cap.customer = '') AS queue
                FROM (SELECT queue, customer, max_running, conveyor_running(queue, customer) AS running
                      FROM concurrency_caps
                      WHERE queue IN (share.queue, '') AND customer IN (share.customer, '')) AS cap) AS room),
        total AS (SELECT sum(weight) AS weight FROM candidates),
        -- How many jobs each candidate reads (`FairClaim.reads`).
        planned AS MATERIALIZED (
            SELECT candidate.*,
                least(greatest(1, least($3, ceil($3 * candidate.weight / total.weight)::int)),
                      coalesce(candidate.room, $3)) AS reads
            FROM candidates AS candidate CROSS JOIN total),
        waiting AS MATERIALIZED (
            SELECT job.id, job.run_at, candidate.queue, candidate.customer, candidate.weight,
                candidate.customer_room, candidate.queue_room,
                candidate.pass + (row_number() OVER (
                    PARTITION BY candidate.queue, candidate.customer
                    ORDER BY job.priority, job.run_at, job.id) - 1) / candidate.weight AS tag
            FROM planned AS candidate
            CROSS JOIN LATERAL (
                SELECT id, priority, run_at FROM jobs
                WHERE queue = candidate.queue AND customer = candidate.customer
                  AND state IN (\(TransitionSQL.sources(of: .claim))) AND run_at <= to_timestamp($4 / 1000.0)
                ORDER BY priority, run_at, id
                LIMIT candidate.reads
                FOR UPDATE SKIP LOCKED) AS job),
        -- Under caps, a job past its customer's or its queue's room, counted in this order, stays.
        picked AS MATERIALIZED (
            SELECT id, queue, customer, weight FROM (
                SELECT waiting.*,
                    row_number() OVER (PARTITION BY customer ORDER BY tag, run_at, id) AS customer_rank,
                    row_number() OVER (PARTITION BY queue ORDER BY tag, run_at, id) AS queue_rank
                FROM waiting) AS ranked
            WHERE customer_rank <= coalesce(customer_room, customer_rank)
              AND queue_rank <= coalesce(queue_room, queue_rank)
            ORDER BY tag, run_at, id LIMIT $3),
        -- The share rows to change: the served ones when the claim chose between shares (alone,
        -- a share's pass orders nothing, and a share joining later starts at it anyway), and the
        -- ones that ran out: fewer jobs read than asked for, and all of them taken here. Locked
        -- in one order, all before either update below: two claims cannot deadlock (enqueues
        -- lock theirs in the same order).
        changing AS MATERIALIZED (
            SELECT candidate.queue, candidate.customer,
                (SELECT count(*) FROM waiting
                 WHERE waiting.queue = candidate.queue AND waiting.customer = candidate.customer) < candidate.reads
                AND NOT EXISTS (
                    SELECT 1 FROM waiting
                    WHERE waiting.queue = candidate.queue AND waiting.customer = candidate.customer
                      AND waiting.id NOT IN (SELECT id FROM picked)) AS ran_out
            FROM planned AS candidate),
        locked AS MATERIALIZED (
            SELECT share.queue, share.customer FROM queue_shares AS share
            JOIN changing USING (queue, customer)
            WHERE changing.ran_out OR (SELECT count(*) FROM ready) > 1
            ORDER BY share.queue, share.customer
            FOR UPDATE OF share),
        -- One update per share row (a statement must not change a row twice): the pass of a
        -- served share, the ready_at of one that ran out, or both.
        moved AS (
            UPDATE queue_shares AS share SET
                pass = CASE WHEN (SELECT count(*) FROM ready) > 1
                            THEN share.pass + coalesce(taken.count, 0) / candidate.weight ELSE share.pass END,
                ready_at = CASE WHEN changing.ran_out AND share.version = candidate.version THEN (
                    SELECT min((SELECT run_at FROM jobs
                                WHERE queue = share.queue AND customer = share.customer AND priority = p.value
                                  AND state IN (\(TransitionSQL.sources(of: .claim)))
                                  AND id NOT IN (SELECT id FROM picked)
                                ORDER BY run_at LIMIT 1))
                    FROM generate_series(\(NewJob.priorities.lowerBound), \(NewJob.priorities.upperBound)) AS p(value))
                    ELSE share.ready_at END
            FROM planned AS candidate
            JOIN changing USING (queue, customer)
            LEFT JOIN (SELECT queue, customer, count(*) AS count FROM picked GROUP BY queue, customer) AS taken
                USING (queue, customer)
            WHERE share.queue = candidate.queue AND share.customer = candidate.customer
              AND (SELECT count(*) FROM locked) > 0
              AND (changing.ran_out OR ((SELECT count(*) FROM ready) > 1 AND taken.count > 0))),
        claimed AS (
            UPDATE jobs SET state = \(TransitionSQL.target(of: .claim)), attempt = attempt + 1,
                lease_token = gen_random_uuid()::text,
                lease_expires_at = to_timestamp($5 / 1000.0), worker_id = $6, attempted_at = to_timestamp($4 / 1000.0),
                progress = NULL
            FROM picked WHERE jobs.id = picked.id
            RETURNING jobs.*),
        \(PostgresEventRow.recording(.started, from: "claimed", atMs: "$4"))
        SELECT \(PostgresJobRow.columns(of: "claimed")) FROM claimed
        """

    let queues: [String]
    let customer: String?
    let limit: Int
    let nowMs: Int64
    let expiresMs: Int64
    let workerID: String?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(queues)
        bindings.append(customer)
        bindings.append(limit)
        bindings.append(nowMs)
        bindings.append(expiresMs)
        bindings.append(workerID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Job { try PostgresJobRow.decode(row) }
}

/// CompleteJobs completes the jobs of many leases at once, `Job.complete`'s fencing (running,
/// this token, lease unexpired) as the WHERE clause; rows: the jobs it completed. The lease's
/// expiry is compared as a difference, which no index serves: compared plainly, the planner took
/// the running-lease index for it, whose entries for jobs completed since the last vacuum it
/// visits one by one (6,000 a statement in a drain, 1.5 ms against 0.15 by key).
struct CompleteJobs: PostgresPreparedStatement {
    static let name = "conveyor_complete_jobs"
    static let sql = """
        WITH completed AS (
            UPDATE jobs SET state = \(TransitionSQL.target(of: .complete)), finished_at = to_timestamp($3 / 1000.0),
                lease_token = NULL, lease_expires_at = NULL, worker_id = NULL, result = nullif(lease.result, '')
            FROM unnest($1::text[], $2::text[], $4::text[], $5::text[]) AS lease(job_id, token, result, customer)
            WHERE jobs.id = lease.job_id AND jobs.state IN (\(TransitionSQL.sources(of: .complete)))
              AND jobs.lease_token = lease.token AND (lease.customer = '' OR jobs.customer = lease.customer)
              AND jobs.lease_expires_at - to_timestamp($3 / 1000.0) > interval '0'
            RETURNING jobs.*),
        \(PostgresEventRow.recording(.completed, from: "completed", atMs: "$3"))
        SELECT \(PostgresJobRow.columns(of: "completed")) FROM completed
        """

    let jobIDs: [String]
    let tokens: [String]
    let nowMs: Int64
    /// Each job's result; the empty string (never a JSON value) for none.
    let results: [String]
    /// The customer each lease is held to (`Lease.customer`); the empty string (never a
    /// customer's name) for any.
    let customers: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(jobIDs)
        bindings.append(tokens)
        bindings.append(nowMs)
        bindings.append(results)
        bindings.append(customers)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Job { try PostgresJobRow.decode(row) }
}

/// DecideRateLimit is one rate-limit decision by the sliding-window rule, in one statement:
/// `conveyor_rate_limit_decisions` (migration 016) takes the key's row lock, so concurrent
/// decisions of one key, from any process, take turns and each sees the others' hits, and its cost
/// does not grow with the quota. A customer's own policy replaces the default given. Times come
/// from `clock_timestamp()`: the database's clock, shared by every node. Prepared, because planning
/// this statement costs more than running it. Row: how many were allowed, the requests in the
/// window before them, the oldest of them (ms), the quota, the window (ms), now (ms).
struct DecideRateLimit: PostgresPreparedStatement {
    static let name = "conveyor_decide_rate_limit"
    static let sql = """
        WITH policy AS (
            SELECT $1::text AS key,
                   coalesce(c.rate_limit_requests, $2) AS quota,
                   coalesce(c.rate_limit_window_seconds, $3) * 1000 AS window_ms,
                   1::int8 AS wanted
            FROM (SELECT 1) AS one LEFT JOIN customers c ON c.name = $4
        ),
        \(decisionSQL)
        SELECT allowed, in_window, oldest, quota, window_ms, now_ms FROM decision
        """

    /// The decisions for the key of the `policy` CTE (key, quota, window_ms, wanted; one row or
    /// none), as the CTE `decision` (allowed, in_window, oldest, quota, window_ms, now_ms).
    static let decisionSQL = """
        decision AS (
            SELECT d.decided_allowed AS allowed, d.decided_in_window AS in_window, d.decided_oldest AS oldest,
                   p.quota::int8 AS quota, p.window_ms::int8 AS window_ms, d.decided_at AS now_ms
            FROM policy p CROSS JOIN LATERAL conveyor_rate_limit_decisions(
                p.key, p.quota::int8, p.window_ms::int8, p.wanted::int8) AS d
        )
        """

    let key: String
    let requests: Int64
    let windowSeconds: Int64
    let customer: String?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(key)
        bindings.append(requests)
        bindings.append(windowSeconds)
        bindings.append(customer)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> (Int64, Int64, Int64?, Int64, Int64, Int64) {
        try row.decode((Int64, Int64, Int64?, Int64, Int64, Int64).self)
    }
}

/// FindAPIKey finds a key by its visible prefix — once per authenticated request, so prepared.
struct FindAPIKey: PostgresPreparedStatement {
    static let name = "conveyor_find_api_key"
    static let sql = "SELECT \(PostgresJobStore.keyColumns) FROM api_keys WHERE prefix = $1"

    let prefix: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(prefix)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> APIKey { try PostgresJobStore.decodeKey(row) }
}

/// FindKeysAndDecide is `FindAPIKey` and `DecideRateLimit` for many requests in one round trip:
/// for each distinct request (a prefix, the hash presented, how many times), the key with the
/// prefix, and — only when it is a live customer key whose hash is the one presented — the
/// decisions of that many requests of its customer. The decisions take the customers' rows in
/// order of key, so that two nodes deciding overlapping batches never wait for each other in a
/// cycle. Row: the key's columns, the hash presented, then the decision's (all NULL when none was
/// made); no row for a prefix no key has.
struct FindKeysAndDecide: PostgresPreparedStatement {
    static let name = "conveyor_find_keys_and_decide"
    static let sql = """
        WITH found AS (
            SELECT k.*, w.presented, w.wanted
            FROM unnest($1::text[], $2::text[], $3::int8[]) AS w(prefix, presented, wanted)
            JOIN api_keys k ON k.prefix = w.prefix
        ),
        policy AS MATERIALIZED (
            SELECT f.prefix, f.presented, 'customer:' || f.customer AS key,
                   coalesce(c.rate_limit_requests, $4) AS quota,
                   coalesce(c.rate_limit_window_seconds, $5) * 1000 AS window_ms,
                   f.wanted
            FROM found f JOIN customers c ON c.name = f.customer
            WHERE f.secret_hash = f.presented AND f.revoked_at IS NULL
            ORDER BY key
        ),
        decision AS (
            SELECT p.prefix AS decided_prefix, p.presented AS decided_for, d.decided_allowed AS allowed,
                   d.decided_in_window AS in_window,
                   d.decided_oldest AS oldest, p.quota::int8 AS quota, p.window_ms::int8 AS window_ms,
                   d.decided_at AS now_ms
            FROM policy p CROSS JOIN LATERAL conveyor_rate_limit_decisions(
                p.key, p.quota::int8, p.window_ms::int8, p.wanted::int8) AS d
        )
        SELECT \(PostgresJobStore.keyColumns), found.presented,
               d.allowed, d.in_window, d.oldest, d.quota, d.window_ms, d.now_ms
        FROM found LEFT JOIN decision d ON d.decided_prefix = found.prefix AND d.decided_for = found.presented
        """

    let prefixes: [String]
    let secretHashes: [String]
    let wanted: [Int64]
    let requests: Int64
    let windowSeconds: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(prefixes)
        bindings.append(secretHashes)
        bindings.append(wanted)
        bindings.append(requests)
        bindings.append(windowSeconds)
        return bindings
    }

    func decodeRow(
        _ row: PostgresRow
    ) throws -> (APIKey, String, (Int64, Int64, Int64?, Int64, Int64, Int64)?) {
        let key = try PostgresJobStore.decodeKey(row)
        let columns = row.makeRandomAccess()
        let start = 7
        let presented = try columns[6].decode(String.self)
        guard let allowed = try columns[start].decode(Int64?.self) else { return (key, presented, nil) }
        return (
            key, presented,
            (
                allowed, try columns[start + 1].decode(Int64.self), try columns[start + 2].decode(Int64?.self),
                try columns[start + 3].decode(Int64.self), try columns[start + 4].decode(Int64.self),
                try columns[start + 5].decode(Int64.self)
            )
        )
    }
}

extension PostgresConnection {
    /// Runs a prepared statement and collects its rows.
    func all<Statement: PostgresPreparedStatement>(
        _ statement: Statement, logger: Logger
    ) async throws -> [Statement.Row] {
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
