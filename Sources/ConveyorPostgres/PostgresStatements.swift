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
/// idempotency key stands for none (a real key is never empty).
struct InsertJobs: PostgresPreparedStatement {
    static let name = "conveyor_insert_jobs"
    static let sql = """
        WITH inserted AS (
            INSERT INTO jobs (id, customer, queue, type, payload, priority, state, run_at, attempt, max_attempts,
                errors, replay_count, idempotency_key, created_at)
            SELECT v.id, v.customer, v.queue, v.type, v.payload, v.priority, v.state, to_timestamp(v.run_at / 1000.0),
                0, v.max_attempts, '[]', 0, NULLIF(v.idempotency_key, ''), to_timestamp(v.created_at / 1000.0)
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::text[],
                $8::int8[], $9::int8[], $10::text[], $11::int8[])
                AS v(id, customer, queue, type, payload, priority, state, run_at, max_attempts, idempotency_key,
                    created_at)
            ON CONFLICT (customer, queue, idempotency_key)
                WHERE idempotency_key IS NOT NULL AND state NOT IN ('completed', 'dead', 'cancelled')
                DO NOTHING
            RETURNING id, queue, state
        ), announced AS (
            SELECT count(pg_notify('\(PostgresJobStore.channel)', queue)) AS queues
            FROM (SELECT DISTINCT queue FROM inserted WHERE state = 'available') AS q
        )
        SELECT inserted.id FROM inserted CROSS JOIN announced
        """

    let jobs: [Job]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 11)
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
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
}

/// ClaimJobs is `Job.claim` applied set-wise in one statement, the form of the benchmark's raw-SQL
/// floor: claimable states once `run_at` has passed, in claim order, `attempt + 1`, a fresh random
/// token (gen_random_uuid: 122 random bits, as `Job.newLeaseToken`) and the lease. SKIP LOCKED:
/// concurrent claimers take different jobs instead of queueing behind one. The states come from the
/// transition table and are literals, so that the planner matches the claim index's predicate
/// (which must list the same states: the conformance suite would catch a claim that misses one).
/// Each queue is read on its own (LATERAL) so that the partial claim index, which leads with the
/// queue, is walked in claim order and stops after `limit` rows; `queue = ANY(...)` instead sorts
/// every waiting job (23 ms per claim with 20,000 waiting, against 0.2 ms).
struct ClaimJobs: PostgresPreparedStatement {
    static let name = "conveyor_claim_jobs"
    static let sql = """
        UPDATE jobs SET state = \(TransitionSQL.target(of: .claim)), attempt = attempt + 1,
            lease_token = gen_random_uuid()::text,
            lease_expires_at = to_timestamp($5 / 1000.0), worker_id = $6, attempted_at = to_timestamp($4 / 1000.0)
        WHERE id IN (
            SELECT waiting.id FROM unnest($1::text[]) AS claimed(queue)
            CROSS JOIN LATERAL (
                SELECT id, priority, run_at FROM jobs
                WHERE state IN (\(TransitionSQL.sources(of: .claim))) AND queue = claimed.queue
                  AND run_at <= to_timestamp($4 / 1000.0) AND ($2::text IS NULL OR customer = $2::text)
                ORDER BY priority, run_at, id
                LIMIT $3
                FOR UPDATE SKIP LOCKED) AS waiting
            ORDER BY waiting.priority, waiting.run_at, waiting.id
            LIMIT $3)
        RETURNING \(PostgresJobRow.columns)
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
/// this token, lease unexpired) as the WHERE clause; rows: the jobs it completed.
struct CompleteJobs: PostgresPreparedStatement {
    static let name = "conveyor_complete_jobs"
    static let sql = """
        UPDATE jobs SET state = \(TransitionSQL.target(of: .complete)), finished_at = to_timestamp($3 / 1000.0),
            lease_token = NULL, lease_expires_at = NULL, worker_id = NULL
        FROM unnest($1::text[], $2::text[]) AS lease(job_id, token)
        WHERE jobs.id = lease.job_id AND jobs.state IN (\(TransitionSQL.sources(of: .complete)))
          AND jobs.lease_token = lease.token
          AND jobs.lease_expires_at > to_timestamp($3 / 1000.0)
        RETURNING \(PostgresJobRow.columns(of: "jobs"))
        """

    let jobIDs: [String]
    let tokens: [String]
    let nowMs: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(jobIDs)
        bindings.append(tokens)
        bindings.append(nowMs)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Job { try PostgresJobRow.decode(row) }
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
