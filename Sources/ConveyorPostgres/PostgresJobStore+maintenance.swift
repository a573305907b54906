public import ConveyorCore
public import Foundation
import PostgresNIO

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

    public func recentFailures(since: Date, limit: Int) async throws -> [Job] {
        let logger = self.logger
        return try await read { connection, _ in
            try await PostgresJobRow.fetch(
                connection,
                """
                SELECT \(unescaped: PostgresJobRow.columns) FROM jobs
                WHERE last_failed_at > to_timestamp(\(since.unixMilliseconds) / 1000.0)
                ORDER BY last_failed_at DESC LIMIT \(limit)
                """, logger: logger)
        }
    }

    public func rescueStaleJobs(grace: Duration) async throws -> [Job] {
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
            for index in jobs.indices {
                try jobs[index].rescueStale(
                    policy: policy, unitRandom: Double.random(in: 0..<1), limits: limits, at: now)
            }
            try await PostgresJobRow.update(jobs, connection, logger: logger)
            return jobs
        }
    }

    public func replay(_ selection: DeadLetterSelection, perSecond pace: Double?) async throws -> [Job] {
        let logger = self.logger
        let replayed = try await transaction { connection, now in
            var jobs = try await self.deadLetters(selection, for: .replay, connection)
            let turns = DeadLetterSelection.turns(count: jobs.count, perSecond: pace, from: now)
            for index in jobs.indices {
                try jobs[index].replay(at: now, runAt: turns[index])
                // The key may have been reused by a newer job while this one was dead; the newer
                // job keeps it, so that the unique index (and the producer's intent) hold.
                if let key = jobs[index].idempotencyKey {
                    let holders = try await connection.query(
                        """
                        SELECT 1 FROM jobs WHERE customer = \(jobs[index].customer) AND queue = \(jobs[index].queue)
                          AND idempotency_key = \(key) AND state NOT IN ('completed', 'dead', 'cancelled')
                          AND id <> \(jobs[index].id.description)
                        """, logger: logger
                    ).collect()
                    if !holders.isEmpty { jobs[index].dropIdempotencyKey() }
                }
            }
            try await PostgresJobRow.update(jobs, connection, logger: logger)
            try await Self.notify(jobs.map(\.queue), connection, logger: logger)
            return jobs
        }
        wakeups.ring(replayed.map(\.queue))
        return replayed
    }

    public func purge(_ selection: DeadLetterSelection) async throws -> Int {
        let logger = self.logger
        return try await transaction { connection, _ in
            let ids = try await self.deadLetters(selection, for: .purge, connection).map(\.id.description)
            try await connection.query("DELETE FROM jobs WHERE id = ANY(\(ids))", logger: logger)
            return ids.count
        }
    }

    public func prune(_ policy: RetentionPolicy) async throws -> PruneReport {
        let logger = self.logger
        return try await transaction { connection, now in
            func delete(_ state: JobState, olderThan age: Duration) async throws -> Int {
                let cutoff = now.adding(.zero - age)
                let rows = try await connection.query(
                    """
                    WITH deleted AS (DELETE FROM jobs WHERE state = \(state.rawValue) AND finished_at < to_timestamp(\(cutoff.unixMilliseconds) / 1000.0) RETURNING 1)
                    SELECT count(*)::int8 FROM deleted
                    """, logger: logger
                ).collect()
                return try rows.first?.decode(Int.self) ?? 0
            }
            var report = PruneReport(
                completed: try await delete(.completed, olderThan: policy.completed),
                cancelled: try await delete(.cancelled, olderThan: policy.cancelled),
                dead: try await delete(.dead, olderThan: policy.dead))
            // Beyond the age limit the dead-letter queue is also bounded by count, oldest deaths first.
            let overflow = try await connection.query(
                """
                WITH deleted AS (
                    DELETE FROM jobs WHERE id IN (
                        SELECT id FROM jobs WHERE state = 'dead' ORDER BY finished_at DESC, id DESC OFFSET \(max(policy.deadMaxCount, 0)))
                    RETURNING 1)
                SELECT count(*)::int8 FROM deleted
                """, logger: logger
            ).collect()
            report.dead += try overflow.first?.decode(Int.self) ?? 0
            let forgotten = now.adding(.zero - RequestIdempotency.retention)
            try await connection.query(
                "DELETE FROM idempotency_keys WHERE created_at <= to_timestamp(\(forgotten.unixMilliseconds) / 1000.0)",
                logger: logger)
            return report
        }
    }

    /// The dead jobs a selection names, locked. Named ids must all exist and be dead, or nothing happens.
    private func deadLetters(
        _ selection: DeadLetterSelection, for event: JobEvent, _ connection: PostgresConnection
    )
        async throws -> [Job]
    {
        switch selection {
        case .ids(let ids):
            let found = try await PostgresJobRow.fetch(
                connection,
                """
                SELECT \(unescaped: PostgresJobRow.columns) FROM jobs WHERE id = ANY(\(ids.map(\.description)))
                ORDER BY id FOR UPDATE
                """, logger: logger)
            let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            return try ids.map { id in
                guard let job = byID[id] else { throw JobStoreError.notFound(id: id) }
                guard job.state == .dead else {
                    throw JobStoreError.illegalTransition(id: id, from: job.state, event: event)
                }
                return job
            }
        case .matching(let dead):
            var filter = dead.filter
            filter.states = [.dead]
            var (sql, bindings) = Self.selecting(filter)
            if let after = dead.diedAfter {
                bindings.append(after.unixMilliseconds)
                sql += " AND finished_at >= to_timestamp($\(bindings.count)::int8 / 1000.0)"
            }
            if let before = dead.diedBefore {
                bindings.append(before.unixMilliseconds)
                sql += " AND finished_at < to_timestamp($\(bindings.count)::int8 / 1000.0)"
            }
            return try await PostgresJobRow.fetch(
                connection, PostgresQuery(unsafeSQL: sql + " ORDER BY id FOR UPDATE", binds: bindings), logger: logger
            ).filter(dead.matches)
        }
    }
}
