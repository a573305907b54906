public import ConveyorCore

/// The floor `conveyor bench http` measures enqueue against: a new job's row written with one
/// INSERT in its own write transaction — no backlog quota, idempotency guard or fair-share
/// bookkeeping. Not part of any store role: nothing but the benchmark calls it.
extension SQLiteJobStore {
    public func bareInsert(_ job: Job) async throws {
        try await write { db, _ in try JobRow.insert(job, db) }
    }
}
