public import ConveyorCore
import PostgresNIO

/// The floors `conveyor bench` measures the store against; not part of any store role: nothing
/// but the benchmark calls them.
extension PostgresJobStore {
    /// A new job's row written with one plain prepared INSERT through this store's pool — no batch
    /// arrays, backlog quota, idempotency guard or announcement: the bare insert of `bench http`.
    public func bareInsert(_ job: Job) async throws {
        let logger = self.logger
        _ = try await read { connection, _ in try await connection.all(BareInsertJob(job: job), logger: logger) }
    }

    /// `SELECT 1` as PostgresNIO runs it on its own — `PostgresClient.query` on this store's pool,
    /// none of the store's wrapping: the floor under `ping()` in `bench store`'s roundtrip.
    public func driverPing() async throws {
        _ = try await client.query("SELECT 1", logger: logger).collect()
    }
}

/// BareInsertJob is `bareInsert`'s one statement; no rows come back.
struct BareInsertJob: PostgresPreparedStatement {
    static let name = "conveyor_bare_insert_job"
    static let sql = """
        INSERT INTO jobs (id, customer, queue, type, payload, priority, state, run_at, attempt, max_attempts,
            errors, replay_count, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0), 0, $9, '[]', 0, to_timestamp($10 / 1000.0))
        """

    let job: Job

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 10)
        bindings.append(job.id.description)
        bindings.append(job.customer)
        bindings.append(job.queue)
        bindings.append(job.type)
        bindings.append(job.payload.text)
        bindings.append(Int64(job.priority))
        bindings.append(job.state.rawValue)
        bindings.append(job.runAt.unixMilliseconds)
        bindings.append(Int64(job.maxAttempts))
        bindings.append(job.createdAt.unixMilliseconds)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
