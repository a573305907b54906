public import Foundation

/// ScheduleFiring is what a scheduler does for one due schedule at one moment: the jobs to make
/// (one per tick made, oldest first) and where the schedule's next tick moves, applied only while
/// the schedule still has `expected` as its next tick — the compare-and-set that makes a tick once
/// however many schedulers reach it (`ScheduleStore.fireSchedules`).
public struct ScheduleFiring: Sendable, Hashable {
    public let customer: String
    public let name: String
    /// The next tick the schedule had when read.
    public let expected: Date
    /// The schedule's next tick after this firing.
    public let next: Date
    /// The jobs to make, one per tick, oldest first.
    public let jobs: [NewJob]
    /// Set when missed ticks were passed over under `skip`: the record of the first of them.
    public let skipped: ScheduleTick?

    /// Creates a firing (stores and tests; a scheduler asks `Schedule.firing(at:)`).
    public init(customer: String, name: String, expected: Date, next: Date, jobs: [NewJob], skipped: ScheduleTick?) {
        self.customer = customer
        self.name = name
        self.expected = expected
        self.next = next
        self.jobs = jobs
        self.skipped = skipped
    }
}

extension Schedule {
    /// What a scheduler does for this schedule at `now`; nil when no tick is due (or it is paused).
    /// Ticks at most `missedAfter` old are made whatever the policy (a slow scheduler, a failover);
    /// older ones were missed and follow `missed`: `skip` makes none of them, `once` one job (for
    /// the first), `all` one each (the first `catchUpLimit`).
    public func firing(at now: Date) -> ScheduleFiring? {
        guard !paused, nextTickAt <= now else { return nil }
        let zone = self.zone
        let cutoff = now.adding(.zero - Self.missedAfter)
        var ticks: [Date] = []
        var skipped: ScheduleTick?
        if nextTickAt < cutoff {
            switch missed {
            case .skip:
                skipped = ScheduleTick(
                    at: nextTickAt, jobID: nil, jobState: nil,
                    skipped: "missed: no scheduler ran at its time (missed: skip)")
            case .once:
                ticks = [nextTickAt]
            case .all:
                ticks =
                    [nextTickAt]
                    + cron.ticks(after: nextTickAt, through: cutoff, in: zone, limit: Self.catchUpLimit - 1)
            }
            ticks += cron.ticks(after: cutoff, through: now, in: zone, limit: Self.catchUpLimit)
        } else {
            ticks = [nextTickAt] + cron.ticks(after: nextTickAt, through: now, in: zone, limit: Self.catchUpLimit - 1)
        }
        return ScheduleFiring(
            customer: customer, name: name, expected: nextTickAt,
            next: Self.firstTick(of: cron, in: zone, after: now),
            jobs: ticks.map { job.job(customer: customer, schedule: name, tick: $0) }, skipped: skipped)
    }
}
