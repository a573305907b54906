public import ConveyorCore
public import Foundation
import GRDB

extension SQLiteJobStore {
    public func staleJobs(grace: Duration) async throws -> [Job] {
        try await read { db, now in try Self.stale(db, grace: grace, now: now) }
    }

    public func recentFailures(since: Date, limit: Int) async throws -> [Job] {
        try await read { db, _ in
            try JobRow.fetchAll(
                db,
                sql: """
                    SELECT \(JobRow.columns) FROM jobs WHERE last_failed_at > ?
                    ORDER BY last_failed_at DESC LIMIT ?
                    """,
                arguments: [since.unixMilliseconds, limit])
        }
    }

    public func rescueStaleJobs(grace: Duration) async throws -> [Job] {
        let policy = options.store.retryPolicy
        let limits = options.store.limits
        return try await write { db, now in
            try Self.stale(db, grace: grace, now: now).map { stale in
                var job = stale
                try job.rescueStale(policy: policy, unitRandom: Double.random(in: 0..<1), limits: limits, at: now)
                try JobRow.update(job, db)
                return job
            }
        }
    }

    public func replay(_ selection: DeadLetterSelection, perSecond pace: Double?) async throws -> [Job] {
        let replayed = try await write { db, now in
            let dead = try Self.deadLetters(selection, for: .replay, db)
            return try zip(dead, DeadLetterSelection.turns(count: dead.count, perSecond: pace, from: now)).map {
                dead, turn in
                var job = dead
                try job.replay(at: now, runAt: turn)
                // The key may have been reused by a newer job while this one was dead; the newer
                // job keeps it, so that the unique index (and the producer's intent) hold.
                if let key = job.idempotencyKey,
                    try Bool.fetchOne(
                        db,
                        sql: """
                            SELECT EXISTS (SELECT 1 FROM jobs WHERE customer = ? AND queue = ? AND idempotency_key = ?
                                AND state NOT IN \(JobRow.finishedStates) AND id != ?)
                            """,
                        arguments: [job.customer, job.queue, key, job.id.description]) == true
                {
                    job.dropIdempotencyKey()
                }
                try JobRow.update(job, db)
                return job
            }
        }
        wakeups.ring(replayed.map(\.queue))
        return replayed
    }

    public func purge(_ selection: DeadLetterSelection) async throws -> Int {
        try await write { db, _ in
            let jobs = try Self.deadLetters(selection, for: .purge, db)
            for job in jobs {
                try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [job.id.description])
            }
            return jobs.count
        }
    }

    public func prune(_ policy: RetentionPolicy) async throws -> PruneReport {
        try await write { db, now in
            func delete(_ state: JobState, olderThan age: Duration) throws -> Int {
                try db.execute(
                    sql: "DELETE FROM jobs WHERE state = ? AND finished_at < ?",
                    arguments: [state.rawValue, now.adding(.zero - age).unixMilliseconds])
                return db.changesCount
            }
            var report = PruneReport(
                completed: try delete(.completed, olderThan: policy.completed),
                cancelled: try delete(.cancelled, olderThan: policy.cancelled),
                dead: try delete(.dead, olderThan: policy.dead))
            // Beyond the age limit the dead-letter queue is also bounded by count, oldest deaths first.
            try db.execute(
                sql: """
                    DELETE FROM jobs WHERE id IN (
                        SELECT id FROM jobs WHERE state = 'dead' ORDER BY finished_at DESC, id DESC LIMIT -1 OFFSET ?)
                    """,
                arguments: [max(policy.deadMaxCount, 0)])
            report.dead += db.changesCount
            try db.execute(
                sql: "DELETE FROM idempotency_keys WHERE created_at <= ?",
                arguments: [now.adding(.zero - RequestIdempotency.retention).unixMilliseconds])
            return report
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

    /// The dead jobs a selection names. Named ids must all exist and be dead, or nothing happens.
    private static func deadLetters(
        _ selection: DeadLetterSelection, for event: JobEvent, _ db: Database
    ) throws -> [Job] {
        switch selection {
        case .ids(let ids):
            return try ids.map { id in
                guard let job = try JobRow.fetch(id, db) else { throw JobStoreError.notFound(id: id) }
                guard job.state == .dead else {
                    throw JobStoreError.illegalTransition(id: id, from: job.state, event: event)
                }
                return job
            }
        case .matching(let dead):
            var filter = dead.filter
            filter.states = [.dead]
            var (sql, arguments) = selecting(filter)
            if let after = dead.diedAfter {
                sql += " AND finished_at >= ?"
                arguments += [after.unixMilliseconds]
            }
            if let before = dead.diedBefore {
                sql += " AND finished_at < ?"
                arguments += [before.unixMilliseconds]
            }
            return try JobRow.fetchAll(db, sql: sql + " ORDER BY id", arguments: arguments).filter(dead.matches)
        }
    }
}
