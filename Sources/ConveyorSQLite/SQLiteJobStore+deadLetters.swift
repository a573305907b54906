public import ConveyorCore
public import Foundation
import GRDB

/// SQLiteJobStore's the dead-letter queue (`DeadLetterStore`).
extension SQLiteJobStore {
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

    public func replay(_ selection: DeadLetterSelection, perSecond pace: Double?) async throws -> DeadLetterBatch {
        let replayed = try await write { db, now in
            let (dead, next) = try Self.deadLetters(selection, for: .replay, db)
            let turns = selection.turns(count: dead.count, perSecond: pace, from: now)
            let jobs = try zip(dead, turns).map {
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
                try EventRow.record(job.events(since: dead, at: now), db)
                return job
            }
            return DeadLetterBatch.replayed(
                jobs, next: next, turns: turns, firstTurn: selection.firstTurn(from: now), perSecond: pace)
        }
        wakeups.ring(replayed.jobs.map(\.queue))
        eventsRecorded.ringAll()
        return replayed
    }

    public func purge(_ selection: DeadLetterSelection) async throws -> DeadLetterBatch {
        try await write { db, _ in
            let (jobs, next) = try Self.deadLetters(selection, for: .purge, db)
            for job in jobs {
                try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [job.id.description])
            }
            return DeadLetterBatch(jobs: jobs, next: next)
        }
    }

    /// The dead jobs a selection names, and where a filter's next call goes on. Named ids must all
    /// exist and be dead, or nothing happens.
    private static func deadLetters(
        _ selection: DeadLetterSelection, for event: JobEvent, _ db: Database
    ) throws -> (jobs: [Job], next: JobID?) {
        switch selection {
        case .ids(let ids):
            var found: [JobID: Job] = [:]
            for id in ids { found[id] = try JobRow.fetch(id, db) }
            return (try DeadLetterSelection.dead(ids, among: found, for: event), nil)
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
            if let after = dead.after {
                sql += " AND id > ?"
                arguments += [after.description]
            }
            let read = try JobRow.fetchAll(db, sql: sql + " ORDER BY id LIMIT ?", arguments: arguments + [dead.limit])
            return (read.filter(dead.matches), dead.next(read: read))
        }
    }

    public func deadLetterCount() async throws -> Int {
        try await read { db, _ in
            // `finished_at IS NOT NULL` (always true of a dead job) lets jobs_finished cover it.
            try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE state = 'dead' AND finished_at IS NOT NULL")
                ?? 0
        }
    }
}
