public import Foundation

/// Schedule is a customer's recurring job: when it fires (`cron` in the zone `timezone`), what it
/// does about ticks no scheduler was there for (`missed`), and the job it makes at each tick.
/// `nextTickAt` is the earliest tick not made yet: a scheduler makes the ticks up to now and moves
/// it on in the transaction that makes their jobs, on the condition that it has not moved
/// (`ScheduleStore.fireSchedules`), so a tick is made once however many schedulers run.
public struct Schedule: Sendable, Hashable {
    /// How many schedules a customer may have when the deployment does not say
    /// (`SCHEDULES_PER_CUSTOMER`).
    public static let defaultPerCustomer = 1_000
    /// A tick a scheduler first sees later than this after its time was missed (no scheduler ran
    /// then): its `missed` policy decides. A scheduler that is merely slow, or fails over to
    /// another process within it, still makes the tick.
    public static let missedAfter = Duration.seconds(60)
    /// The most jobs one firing makes for missed ticks under `all`, and for on-time ticks.
    public static let catchUpLimit = 100

    public let customer: String
    public let name: String
    public let cron: CronExpression
    /// An IANA time zone identifier (`UTC` by default).
    public let timezone: String
    public let missed: MissedTickPolicy
    public let job: JobTemplate
    public let paused: Bool
    /// The earliest tick not made yet (for a paused schedule, the next one once resumed).
    public let nextTickAt: Date
    public let lastTick: ScheduleTick?
    public let createdAt: Date
    public let updatedAt: Date

    /// Restores a schedule as a store saved it.
    public init(
        customer: String, name: String, cron: CronExpression, timezone: String, missed: MissedTickPolicy,
        job: JobTemplate, paused: Bool, nextTickAt: Date, lastTick: ScheduleTick?, createdAt: Date, updatedAt: Date
    ) {
        self.customer = customer
        self.name = name
        self.cron = cron
        self.timezone = timezone
        self.missed = missed
        self.job = job
        self.paused = paused
        self.nextTickAt = nextTickAt
        self.lastTick = lastTick
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Restores a schedule from a store's columns; `unavailable` when they do not read back.
    public init(
        stored customer: String, name: String, cron: String, timezone: String, missed: String, queue: String,
        type: String, payload: String, priority: Int, maxAttempts: Int, paused: Bool, nextTickAt: Date,
        lastTick: ScheduleTick?, createdAt: Date, updatedAt: Date
    ) throws(JobStoreError) {
        guard let expression = CronExpression.cached(cron), let policy = MissedTickPolicy(rawValue: missed) else {
            throw JobStoreError.unavailable(reason: "corrupt schedule \(name) of \(customer) in database")
        }
        self.init(
            customer: customer, name: name, cron: expression, timezone: timezone, missed: policy,
            job: JobTemplate(
                queue: queue, type: type, payload: JobPayload(storedText: payload), priority: priority,
                maxAttempts: maxAttempts),
            paused: paused, nextTickAt: nextTickAt, lastTick: lastTick, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// The zone the expression is read in.
    public var zone: TimeZone { TimeZone(identifier: timezone) ?? TimeZone(identifier: "UTC")! }

    /// The next `count` fire times after `now` (none while paused).
    public func upcomingTicks(after now: Date, count: Int) -> [Date] {
        paused ? [] : cron.nextTicks(after: now, in: zone, count: count)
    }

    /// The expression in words, with its zone ("every day at 03:00, Europe/Berlin").
    public var described: String { cron.describe(in: timezone) }

    /// The first tick of this expression after `now`: where a schedule made, changed or resumed
    /// at `now` starts. A valid expression always has one; the far future stands in otherwise.
    public static func firstTick(of cron: CronExpression, in zone: TimeZone, after now: Date) -> Date {
        cron.nextTick(after: now, in: zone) ?? .distantFuture
    }
}

/// JobTemplate is the job a schedule makes at each tick (checked as `NewJob` checks a job).
public struct JobTemplate: Sendable, Hashable {
    public let queue: String
    public let type: String
    public let payload: JobPayload
    public let priority: Int
    public let maxAttempts: Int

    /// Restores a template as a store saved it.
    public init(queue: String, type: String, payload: JobPayload, priority: Int, maxAttempts: Int) {
        self.queue = queue
        self.type = type
        self.payload = payload
        self.priority = priority
        self.maxAttempts = maxAttempts
    }

    /// The job schedule `schedule` of `customer` makes for its tick at `tick`.
    public func job(customer: String, schedule: String, tick: Date) -> NewJob {
        NewJob(
            scheduledFor: customer, queue: queue, type: type, payload: payload, priority: priority,
            maxAttempts: maxAttempts
        ).made(bySchedule: schedule, for: tick)
    }
}
