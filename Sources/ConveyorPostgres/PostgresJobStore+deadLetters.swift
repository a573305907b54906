public import ConveyorCore
public import Foundation
import PostgresNIO

/// PostgresJobStore's the dead-letter queue (`DeadLetterStore`).
extension PostgresJobStore {
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

    public func replay(_ selection: DeadLetterSelection, perSecond pace: Double?) async throws -> DeadLetterBatch {
        defer { eventsRecorded.ringAll() }
        let logger = self.logger
        let replayed = try await transaction { connection, now in
            var (jobs, next) = try await self.deadLetters(selection, for: .replay, connection)
            let turns = selection.turns(count: jobs.count, perSecond: pace, from: now)
            let before = jobs
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
            try await PostgresEventRow.record(
                zip(before, jobs).flatMap { $1.events(since: $0, at: now) }, connection, logger: logger)
            try await Self.notify(jobs.map(\.queue), connection, logger: logger)
            return DeadLetterBatch.replayed(
                jobs, next: next, turns: turns, firstTurn: selection.firstTurn(from: now), perSecond: pace)
        }
        wakeups.ring(replayed.jobs.map(\.queue))
        return replayed
    }

    public func purge(_ selection: DeadLetterSelection) async throws -> DeadLetterBatch {
        let logger = self.logger
        return try await transaction { connection, _ in
            let (jobs, next) = try await self.deadLetters(selection, for: .purge, connection)
            try await connection.query("DELETE FROM jobs WHERE id = ANY(\(jobs.map(\.id.description)))", logger: logger)
            return DeadLetterBatch(jobs: jobs, next: next)
        }
    }

    /// The dead jobs a selection names, locked, and where a filter's next call goes on. Named ids
    /// must all exist and be dead, or nothing happens.
    private func deadLetters(
        _ selection: DeadLetterSelection, for event: JobEvent, _ connection: PostgresConnection
    )
        async throws -> (jobs: [Job], next: JobID?)
    {
        switch selection {
        case .ids(let ids):
            let found = try await PostgresJobRow.fetch(
                connection,
                """
                SELECT \(unescaped: PostgresJobRow.columns) FROM jobs WHERE id = ANY(\(ids.map(\.description)))
                ORDER BY id FOR UPDATE
                """, logger: logger)
            let jobs = try DeadLetterSelection.dead(
                ids, among: Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }), for: event)
            return (jobs, nil)
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
            if let after = dead.after {
                bindings.append(after.description)
                sql += " AND id > $\(bindings.count)"
            }
            bindings.append(Int64(dead.limit))
            let read = try await PostgresJobRow.fetch(
                connection,
                PostgresQuery(unsafeSQL: sql + " ORDER BY id LIMIT $\(bindings.count) FOR UPDATE", binds: bindings),
                logger: logger)
            return (read.filter(dead.matches), dead.next(read: read))
        }
    }

    public func deadLetterCount() async throws -> Int {
        let logger = self.logger
        return try await read { connection, _ in
            // `finished_at IS NOT NULL` (always true of a dead job) lets jobs_finished cover it.
            let rows = try await connection.query(
                "SELECT count(*)::int8 FROM jobs WHERE state = 'dead' AND finished_at IS NOT NULL", logger: logger
            ).collect()
            return try rows.first?.decode(Int.self) ?? 0
        }
    }
}
