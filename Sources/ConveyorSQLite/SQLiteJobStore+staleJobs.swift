public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's stale jobs and their rescue (`StaleJobStore`).
extension SQLiteJobStore {
    public func staleJobs(grace: Duration) async throws -> [Job] {
        try await read { db, now in try Self.stale(db, grace: grace, now: now) }
    }

    public func rescueStaleJobs(grace: Duration) async throws -> [Job] {
        let policy = options.store.retryPolicy
        let limits = options.store.limits
        defer { eventsRecorded.ringAll() }
        return try await write { db, now in
            try Self.stale(db, grace: grace, now: now).map { stale in
                var job = stale
                try job.rescueStale(policy: policy, unitRandom: Double.random(in: 0..<1), limits: limits, at: now)
                try JobRow.update(job, db)
                try EventRow.record(job.events(since: stale, at: now), db)
                return job
            }
        }
    }

    private static func stale(_ db: Database, grace: Duration, now: Date) throws -> [Job] {
        try JobRow.fetchAll(
            db,
            sql: """
                SELECT \(JobRow.columns) FROM jobs
                WHERE state = 'running' AND lease_expires_at <= ?
                ORDER BY lease_expires_at, id
                """,
            arguments: [now.adding(.zero - grace).unixMilliseconds])
    }
}
