public import ConveyorCore
public import Foundation
import PostgresNIO

/// PostgresJobStore's schedules (`ScheduleStore`). A batch of firings is a few set-wise statements
/// in one transaction: the compare-and-set of the next ticks (a row a second scheduler also fires
/// waits for the first to commit, then no longer matches), the jobs, the ticks' records.
extension PostgresJobStore {
    static let scheduleColumns = """
        s.customer, s.name, s.cron, s.timezone, s.missed, s.queue, s.type, s.payload, s.priority::int8,
        s.max_attempts::int8, s.paused, (extract(epoch FROM s.next_tick_at) * 1000)::int8,
        (extract(epoch FROM s.last_tick_at) * 1000)::int8, s.last_job_id, s.last_skipped,
        (extract(epoch FROM s.created_at) * 1000)::int8, (extract(epoch FROM s.updated_at) * 1000)::int8, j.state
        """
    static let scheduleFrom = "schedules AS s LEFT JOIN jobs AS j ON j.id = s.last_job_id"

    public func createSchedule(_ draft: ScheduleDraft) async throws -> Schedule {
        let logger = self.logger
        let limit = options.store.schedulesPerCustomer
        return try await transaction { connection, now in
            let count = try await Self.lockCustomer(draft.customer, counting: "schedules", connection, logger: logger)
            guard count < limit else { throw JobStoreError.tooManySchedules(customer: draft.customer, limit: limit) }
            let inserted = try await connection.query(
                """
                INSERT INTO schedules (customer, name, cron, timezone, missed, queue, type, payload, priority,
                    max_attempts, next_tick_at, created_at, updated_at)
                VALUES (\(draft.customer), \(draft.name), \(draft.cron.text), \(draft.timezone),
                    \(draft.missed.rawValue), \(draft.job.queue), \(draft.job.type), \(draft.job.payload.text),
                    \(draft.job.priority), \(draft.job.maxAttempts),
                    to_timestamp(\(draft.firstTick(after: now).unixMilliseconds) / 1000.0),
                    to_timestamp(\(now.unixMilliseconds) / 1000.0), to_timestamp(\(now.unixMilliseconds) / 1000.0))
                ON CONFLICT (customer, name) DO NOTHING
                RETURNING name
                """, logger: logger
            ).collect()
            guard !inserted.isEmpty else { throw JobStoreError.scheduleExists(name: draft.name) }
            return try await Self.schedule(connection, customer: draft.customer, name: draft.name, logger: logger)
        }
    }

    public func schedules(customer: String?) async throws -> [Schedule] {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                """
                SELECT \(unescaped: Self.scheduleColumns) FROM \(unescaped: Self.scheduleFrom)
                WHERE \(customer)::text IS NULL OR s.customer = \(customer) ORDER BY s.customer, s.name
                """, logger: logger
            ).collect().map(Self.decodeSchedule)
        }
    }

    public func schedule(customer: String, name: String) async throws -> Schedule {
        let logger = self.logger
        return try await read { connection, _ in
            try await Self.schedule(connection, customer: customer, name: name, logger: logger)
        }
    }

    public func updateSchedule(_ draft: ScheduleDraft) async throws -> Schedule {
        let logger = self.logger
        return try await transaction { connection, now in
            let current = try await Self.schedule(
                connection, customer: draft.customer, name: draft.name, locking: true, logger: logger)
            let next =
                draft.keepsTicks(of: current) || current.paused ? current.nextTickAt : draft.firstTick(after: now)
            try await connection.query(
                """
                UPDATE schedules SET cron = \(draft.cron.text), timezone = \(draft.timezone),
                    missed = \(draft.missed.rawValue), queue = \(draft.job.queue), type = \(draft.job.type),
                    payload = \(draft.job.payload.text), priority = \(draft.job.priority),
                    max_attempts = \(draft.job.maxAttempts), next_tick_at = to_timestamp(\(next.unixMilliseconds) / 1000.0),
                    updated_at = to_timestamp(\(now.unixMilliseconds) / 1000.0)
                WHERE customer = \(draft.customer) AND name = \(draft.name)
                """, logger: logger)
            return try await Self.schedule(connection, customer: draft.customer, name: draft.name, logger: logger)
        }
    }

    public func deleteSchedule(customer: String, name: String) async throws {
        let logger = self.logger
        let deleted = try await read { connection, _ in
            try await connection.query(
                "DELETE FROM schedules WHERE customer = \(customer) AND name = \(name) RETURNING name", logger: logger
            ).collect().count
        }
        guard deleted > 0 else { throw JobStoreError.scheduleNotFound(name: name) }
    }

    public func pauseSchedule(customer: String, name: String, paused: Bool) async throws -> Schedule {
        let logger = self.logger
        return try await transaction { connection, now in
            let current = try await Self.schedule(
                connection, customer: customer, name: name, locking: true, logger: logger)
            guard current.paused != paused else { return current }
            // Resumed, it starts from now: the ticks it was paused over are not missed, they were
            // not wanted.
            let next = paused ? current.nextTickAt : Schedule.firstTick(of: current.cron, in: current.zone, after: now)
            try await connection.query(
                """
                UPDATE schedules SET paused = \(paused), next_tick_at = to_timestamp(\(next.unixMilliseconds) / 1000.0),
                    updated_at = to_timestamp(\(now.unixMilliseconds) / 1000.0)
                WHERE customer = \(customer) AND name = \(name)
                """, logger: logger)
            return try await Self.schedule(connection, customer: customer, name: name, logger: logger)
        }
    }

    public func runSchedule(customer: String, name: String) async throws -> Job {
        let logger = self.logger
        let quota = options.store.backlogQuota
        let job = try await transaction { connection, now -> Job in
            let schedule = try await Self.schedule(
                connection, customer: customer, name: name, locking: true, logger: logger)
            let job = Job(
                accepting: schedule.job.job(customer: customer, schedule: name, tick: now), id: .generate(at: now),
                at: now)
            _ = try await PostgresJobRow.insert([job], defaultQuota: quota, connection, logger: logger)
            try await Self.recordTicks(
                [(customer, name, job.scheduledFor ?? now, job.id.description, nil)], connection, logger: logger)
            return job
        }
        eventsRecorded.ringAll()
        if job.state == .available { wakeups.ring([job.queue]) }
        return job
    }

    public func dueSchedules(limit: Int) async throws -> (schedules: [Schedule], now: Date) {
        let logger = self.logger
        return try await read { connection, now in
            let due = try await connection.query(
                """
                SELECT \(unescaped: Self.scheduleColumns) FROM \(unescaped: Self.scheduleFrom)
                WHERE NOT s.paused AND s.next_tick_at <= to_timestamp(\(now.unixMilliseconds) / 1000.0)
                ORDER BY s.next_tick_at LIMIT \(limit)
                """, logger: logger
            ).collect().map(Self.decodeSchedule)
            return (due, now)
        }
    }

    public func nextScheduleTick() async throws -> Date? {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                "SELECT (extract(epoch FROM min(next_tick_at)) * 1000)::int8 FROM schedules WHERE NOT paused",
                logger: logger
            ).collect().first?.decode(Int64?.self).map(Date.init(unixMilliseconds:))
        }
    }

    public func fireSchedules(_ firings: [ScheduleFiring]) async throws -> [Job] {
        guard !firings.isEmpty else { return [] }
        let logger = self.logger
        let quota = options.store.backlogQuota
        let made = try await transaction { connection, now -> [Job] in
            // The jobs are made here, their ids known before the insert, so that the
            // compare-and-set records each schedule's last tick too (a refused one is put right).
            let planned = firings.map { firing in
                firing.jobs.map { Job(accepting: $0, id: .generate(at: now), at: now) }
            }
            let last = zip(firings, planned).map { firing, jobs in
                (
                    at: jobs.last?.scheduledFor ?? firing.skipped?.at ?? now, jobID: jobs.last?.id.description ?? "",
                    skipped: jobs.isEmpty ? firing.skipped?.skipped ?? "" : ""
                )
            }
            // The compare-and-set, set-wise: the firings whose schedule still has the next tick
            // they were planned on.
            let moved = try await connection.query(
                """
                UPDATE schedules AS s SET next_tick_at = to_timestamp(f.next / 1000.0),
                    last_tick_at = to_timestamp(f.at / 1000.0), last_job_id = NULLIF(f.job_id, ''),
                    last_skipped = NULLIF(f.skipped, '')
                FROM unnest(\(firings.map(\.customer)), \(firings.map(\.name)),
                    \(firings.map(\.expected.unixMilliseconds)), \(firings.map(\.next.unixMilliseconds)),
                    \(last.map(\.at.unixMilliseconds)), \(last.map(\.jobID)), \(last.map(\.skipped)))
                    AS f(customer, name, expected, next, at, job_id, skipped)
                WHERE s.customer = f.customer AND s.name = f.name AND NOT s.paused
                  AND s.next_tick_at = to_timestamp(f.expected / 1000.0)
                RETURNING s.customer, s.name
                """, logger: logger
            ).collect().map { try $0.decode((String, String).self) }
            let firing = Set(moved.map { "\($0.0)\u{0}\($0.1)" })
            var pending = zip(firings, planned).filter {
                firing.contains("\($0.0.customer)\u{0}\($0.0.name)") && !$0.1.isEmpty
            }
            var refusals: [(customer: String, name: String, at: Date, jobID: String?, skipped: String?)] = []
            // A customer whose backlog quota is full has its ticks skipped; the others' go in.
            while !pending.isEmpty {
                let jobs = pending.flatMap(\.1)
                do {
                    _ = try await PostgresJobRow.insert(jobs, defaultQuota: quota, connection, logger: logger)
                    try await Self.recordTicks(refusals, connection, logger: logger)
                    return jobs
                } catch JobStoreError.backlogQuotaExceeded(let customer, let limit) {
                    for (refused, jobs) in pending where refused.customer == customer {
                        refusals.append(
                            (
                                customer, refused.name, jobs.last?.scheduledFor ?? now, nil,
                                "the customer's backlog quota (\(limit) jobs waiting) was full"
                            ))
                    }
                    pending.removeAll { $0.0.customer == customer }
                }
            }
            try await Self.recordTicks(refusals, connection, logger: logger)
            return []
        }
        if !made.isEmpty {
            eventsRecorded.ringAll()
            wakeups.ring(Set(made.filter { $0.state == .available }.map(\.queue)))
        }
        return made
    }

    /// Records each schedule's last tick; of several for one schedule, the last given stands.
    private static func recordTicks(
        _ ticks: [(customer: String, name: String, at: Date, jobID: String?, skipped: String?)],
        _ connection: PostgresConnection, logger: Logger
    ) async throws {
        var last: [String: (customer: String, name: String, at: Date, jobID: String?, skipped: String?)] = [:]
        for tick in ticks { last["\(tick.customer)\u{0}\(tick.name)"] = tick }
        let records = Array(last.values)
        guard !records.isEmpty else { return }
        try await connection.query(
            """
            UPDATE schedules AS s SET last_tick_at = to_timestamp(v.at / 1000.0), last_job_id = NULLIF(v.job_id, ''),
                last_skipped = NULLIF(v.skipped, '')
            FROM unnest(\(records.map(\.customer)), \(records.map(\.name)), \(records.map(\.at.unixMilliseconds)),
                \(records.map { $0.jobID ?? "" }), \(records.map { $0.skipped ?? "" }))
                AS v(customer, name, at, job_id, skipped)
            WHERE s.customer = v.customer AND s.name = v.name
            """, logger: logger)
    }

    private static func schedule(
        _ connection: PostgresConnection, customer: String, name: String, locking: Bool = false, logger: Logger
    ) async throws -> Schedule {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: scheduleColumns) FROM \(unescaped: scheduleFrom)
            WHERE s.customer = \(customer) AND s.name = \(name) \(unescaped: locking ? "FOR UPDATE OF s" : "")
            """, logger: logger
        ).collect()
        guard let row = rows.first else { throw JobStoreError.scheduleNotFound(name: name) }
        return try decodeSchedule(row)
    }

    private static func decodeSchedule(_ row: PostgresRow) throws -> Schedule {
        let cells = row.makeRandomAccess()
        func text(_ index: Int) throws -> String { try cells[index].decode(String.self) }
        func optionalText(_ index: Int) throws -> String? { try cells[index].decode(String?.self) }
        func date(_ index: Int) throws -> Date? {
            try cells[index].decode(Int64?.self).map(Date.init(unixMilliseconds:))
        }
        let lastAt = try date(12)
        let lastJob = try optionalText(13)
        let lastState = try optionalText(17)
        let lastSkipped = try optionalText(14)
        return try Schedule(
            stored: try text(0), name: try text(1), cron: try text(2), timezone: try text(3), missed: try text(4),
            queue: try text(5), type: try text(6), payload: try text(7), priority: Int(try cells[8].decode(Int64.self)),
            maxAttempts: Int(try cells[9].decode(Int64.self)), paused: try cells[10].decode(Bool.self),
            nextTickAt: try date(11) ?? .distantFuture,
            lastTick: lastAt.map {
                ScheduleTick(
                    at: $0, jobID: lastJob.flatMap(JobID.init), jobState: lastState.flatMap(JobState.init(rawValue:)),
                    skipped: lastSkipped)
            },
            createdAt: try date(15) ?? .distantPast, updatedAt: try date(16) ?? .distantPast)
    }
}
