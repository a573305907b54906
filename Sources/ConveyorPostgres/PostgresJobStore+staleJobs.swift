public import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobStore's stale jobs and their rescue (`StaleJobStore`).
extension PostgresJobStore {
    public func staleJobs(grace: Duration) async throws -> [Job] {
        let logger = self.logger
        return try await read { connection, now in
            try await PostgresJobRow.fetch(
                connection,
                """
                SELECT \(unescaped: PostgresJobRow.columns)
                FROM find_stale_jobs(make_interval(secs => \(grace.timeInterval)), to_timestamp(\(now.unixMilliseconds) / 1000.0))
                """, logger: logger)
        }
    }

    public func rescueStaleJobs(grace: Duration) async throws -> [Job] {
        defer { eventsRecorded.ringAll() }
        let policy = options.store.retryPolicy
        let limits = options.store.limits
        let logger = self.logger
        return try await transaction { connection, now in
            // The same query an operator runs from psql; SKIP LOCKED leaves a job that is being
            // completed right now to its worker (River #1302 was a rescuer overwriting one).
            var jobs = try await PostgresJobRow.fetch(
                connection,
                """
                SELECT \(unescaped: PostgresJobRow.columns) FROM jobs
                WHERE id IN (SELECT id FROM find_stale_jobs(make_interval(secs => \(grace.timeInterval)), to_timestamp(\(now.unixMilliseconds) / 1000.0)))
                ORDER BY lease_expires_at, id
                FOR UPDATE SKIP LOCKED
                """, logger: logger)
            let before = jobs
            for index in jobs.indices {
                try jobs[index].rescueStale(
                    policy: policy, unitRandom: Double.random(in: 0..<1), limits: limits, at: now)
            }
            try await PostgresJobRow.update(jobs, connection, logger: logger)
            try await PostgresEventRow.record(
                zip(before, jobs).flatMap { $1.events(since: $0, at: now) }, connection, logger: logger)
            return jobs
        }
    }
}
