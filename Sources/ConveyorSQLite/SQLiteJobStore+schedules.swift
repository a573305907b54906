public import ConveyorCore
public import Foundation
import GRDB

/// SQLiteJobStore's schedules (`ScheduleStore`). Writes are serialized on the file, so a firing's
/// check of the next tick and its move cannot interleave with another scheduler's.
extension SQLiteJobStore {
    public func createSchedule(_ draft: ScheduleDraft) async throws -> Schedule {
        let limit = options.store.schedulesPerCustomer
        return try await write { db, now in
            guard
                try Int.fetchOne(db, sql: "SELECT 1 FROM customers WHERE name = ?", arguments: [draft.customer]) != nil
            else { throw JobStoreError.customerNotFound(name: draft.customer) }
            guard try Self.scheduleRow(db, customer: draft.customer, name: draft.name) == nil else {
                throw JobStoreError.scheduleExists(name: draft.name)
            }
            let count =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM schedules WHERE customer = ?", arguments: [draft.customer])
                ?? 0
            guard count < limit else { throw JobStoreError.tooManySchedules(customer: draft.customer, limit: limit) }
            try db.execute(
                sql: """
                    INSERT INTO schedules (customer, name, cron, timezone, missed, queue, type, payload, priority,
                        max_attempts, next_tick_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    draft.customer, draft.name, draft.cron.text, draft.timezone, draft.missed.rawValue,
                    draft.job.queue, draft.job.type, draft.job.payload.text, draft.job.priority, draft.job.maxAttempts,
                    draft.firstTick(after: now).unixMilliseconds, now.unixMilliseconds, now.unixMilliseconds,
                ])
            return try Self.schedule(db, customer: draft.customer, name: draft.name)
        }
    }

    public func schedules(customer: String?) async throws -> [Schedule] {
        try await read { db, _ in
            try Row.fetchAll(
                db,
                sql: "\(Self.scheduleSelect) WHERE ? IS NULL OR s.customer = ? ORDER BY s.customer, s.name",
                arguments: [customer, customer]
            ).map(Self.decodeSchedule)
        }
    }

    public func schedule(customer: String, name: String) async throws -> Schedule {
        try await read { db, _ in try Self.schedule(db, customer: customer, name: name) }
    }

    public func updateSchedule(_ draft: ScheduleDraft) async throws -> Schedule {
        try await write { db, now in
            let current = try Self.schedule(db, customer: draft.customer, name: draft.name)
            let next =
                draft.keepsTicks(of: current) || current.paused ? current.nextTickAt : draft.firstTick(after: now)
            try db.execute(
                sql: """
                    UPDATE schedules SET cron = ?, timezone = ?, missed = ?, queue = ?, type = ?, payload = ?,
                        priority = ?, max_attempts = ?, next_tick_at = ?, updated_at = ?
                    WHERE customer = ? AND name = ?
                    """,
                arguments: [
                    draft.cron.text, draft.timezone, draft.missed.rawValue, draft.job.queue, draft.job.type,
                    draft.job.payload.text, draft.job.priority, draft.job.maxAttempts, next.unixMilliseconds,
                    now.unixMilliseconds, draft.customer, draft.name,
                ])
            return try Self.schedule(db, customer: draft.customer, name: draft.name)
        }
    }

    public func deleteSchedule(customer: String, name: String) async throws {
        try await write { db, _ in
            try db.execute(
                sql: "DELETE FROM schedules WHERE customer = ? AND name = ?", arguments: [customer, name])
            guard db.changesCount > 0 else { throw JobStoreError.scheduleNotFound(name: name) }
        }
    }

    public func pauseSchedule(customer: String, name: String, paused: Bool) async throws -> Schedule {
        try await write { db, now in
            let current = try Self.schedule(db, customer: customer, name: name)
            guard current.paused != paused else { return current }
            // Resumed, it starts from now: the ticks it was paused over are not missed, they were
            // not wanted.
            let next = paused ? current.nextTickAt : Schedule.firstTick(of: current.cron, in: current.zone, after: now)
            try db.execute(
                sql:
                    "UPDATE schedules SET paused = ?, next_tick_at = ?, updated_at = ? WHERE customer = ? AND name = ?",
                arguments: [paused, next.unixMilliseconds, now.unixMilliseconds, customer, name])
            return try Self.schedule(db, customer: customer, name: name)
        }
    }

    public func runSchedule(customer: String, name: String) async throws -> Job {
        let job = try await write { db, now -> Job in
            let schedule = try Self.schedule(db, customer: customer, name: name)
            let request = schedule.job.job(customer: customer, schedule: name, tick: now)
            let made = try Self.insert([request], db, now)
            _ = try made.map { EnqueueResult(job: $0, inserted: true) }.checkingBacklogQuotas(of: self, db)
            try Self.recordTick(db, customer: customer, name: name, at: now, jobID: made.last?.id, skipped: nil)
            return made[0]
        }
        announce([job])
        return job
    }

    public func dueSchedules(limit: Int) async throws -> (schedules: [Schedule], now: Date) {
        try await read { db, now in
            let due = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        \(Self.scheduleSelect)
                        WHERE s.paused = 0 AND s.next_tick_at <= ? ORDER BY s.next_tick_at LIMIT ?
                        """),
                arguments: [now.unixMilliseconds, limit]
            ).map(Self.decodeSchedule)
            return (due, now)
        }
    }

    public func nextScheduleTick() async throws -> Date? {
        try await read { db, _ in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT min(next_tick_at) FROM schedules WHERE paused = 0"))
                .map(Date.init(unixMilliseconds:))
        }
    }

    public func fireSchedules(_ firings: [ScheduleFiring]) async throws -> [Job] {
        guard !firings.isEmpty else { return [] }
        let made = try await write { db, now -> [Job] in
            var made: [Job] = []
            for firing in firings {
                // The compare-and-set: a tick another scheduler made, or a schedule changed since
                // it was read, is passed over.
                try db.cachedStatement(
                    sql: """
                        UPDATE schedules SET next_tick_at = ?
                        WHERE customer = ? AND name = ? AND next_tick_at = ? AND paused = 0
                        """
                ).execute(arguments: [
                    firing.next.unixMilliseconds, firing.customer, firing.name, firing.expected.unixMilliseconds,
                ])
                guard db.changesCount == 1 else { continue }
                if let skipped = firing.skipped {
                    try Self.recordTick(
                        db, customer: firing.customer, name: firing.name, at: skipped.at, jobID: nil,
                        skipped: skipped.skipped)
                }
                guard let last = firing.jobs.last else { continue }
                // Checked before the insert (writes are serialized: the count is exact), so that a
                // refused tick needs no savepoint to undo.
                if let quota = try self.backlogQuota(of: firing.customer, db),
                    try Self.waitingJobs(of: firing.customer, atMost: quota + 1, db) + firing.jobs.count > quota
                {
                    try Self.recordTick(
                        db, customer: firing.customer, name: firing.name, at: last.scheduledFor ?? now, jobID: nil,
                        skipped: "the customer's backlog quota (\(quota) jobs waiting) was full")
                    continue
                }
                let jobs = try Self.insert(firing.jobs, db, now)
                made += jobs
                try Self.recordTick(
                    db, customer: firing.customer, name: firing.name, at: last.scheduledFor ?? now,
                    jobID: jobs.last?.id, skipped: nil)
            }
            return made
        }
        announce(made)
        return made
    }

    /// Tells this process's workers and event readers of jobs made (after the commit).
    private func announce(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        eventsRecorded.ringAll()
        wakeups.ring(Set(jobs.filter { $0.state == .available }.map(\.queue)))
    }

    /// Inserts the jobs with their events.
    private static func insert(_ requests: [NewJob], _ db: Database, _ now: Date) throws -> [Job] {
        try requests.map { request in
            let job = Job(accepting: request, id: .generate(at: now), at: now)
            try JobRow.insert(job, db)
            try EventRow.record(job.events(since: nil, at: now), db)
            return job
        }
    }

    private static func recordTick(
        _ db: Database, customer: String, name: String, at: Date, jobID: JobID?, skipped: String?
    ) throws {
        try db.cachedStatement(
            sql: """
                UPDATE schedules SET last_tick_at = ?, last_job_id = ?, last_skipped = ? WHERE customer = ? AND name = ?
                """
        ).execute(arguments: [at.unixMilliseconds, jobID?.description, skipped, customer, name])
    }

    /// A schedule with its last tick's job's state.
    private static let scheduleSelect = """
        SELECT s.*, j.state AS last_job_state FROM schedules AS s LEFT JOIN jobs AS j ON j.id = s.last_job_id
        """

    private static func scheduleRow(_ db: Database, customer: String, name: String) throws -> Row? {
        try Row.fetchOne(
            db, sql: "\(scheduleSelect) WHERE s.customer = ? AND s.name = ?", arguments: [customer, name])
    }

    private static func schedule(_ db: Database, customer: String, name: String) throws -> Schedule {
        guard let row = try scheduleRow(db, customer: customer, name: name) else {
            throw JobStoreError.scheduleNotFound(name: name)
        }
        return try decodeSchedule(row)
    }

    private static func decodeSchedule(_ row: Row) throws -> Schedule {
        let lastAt = (row["last_tick_at"] as Int64?).map(Date.init(unixMilliseconds:))
        return try Schedule(
            stored: row["customer"], name: row["name"], cron: row["cron"], timezone: row["timezone"],
            missed: row["missed"], queue: row["queue"], type: row["type"], payload: row["payload"],
            priority: row["priority"], maxAttempts: row["max_attempts"], paused: row["paused"],
            nextTickAt: Date(unixMilliseconds: row["next_tick_at"]),
            lastTick: lastAt.map {
                ScheduleTick(
                    at: $0, jobID: (row["last_job_id"] as String?).flatMap(JobID.init),
                    jobState: (row["last_job_state"] as String?).flatMap(JobState.init(rawValue:)),
                    skipped: row["last_skipped"])
            },
            createdAt: Date(unixMilliseconds: row["created_at"]), updatedAt: Date(unixMilliseconds: row["updated_at"]))
    }
}
