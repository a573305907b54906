public import Foundation

/// ScheduleStore keeps customers' schedules and makes their ticks' jobs. A schedule is named
/// within its customer; every call names both, so a customer acts only on its own. A tick is made
/// once: `fireSchedules` moves a schedule's next tick only from the one its firing was planned
/// on, in the transaction that makes the tick's jobs, and the (customer, schedule, tick) of a job
/// is unique in the table besides.
public protocol ScheduleStore: Sendable {
    /// Makes a schedule, its first tick the first after now; `customerNotFound`, `scheduleExists`,
    /// `tooManySchedules` past the store's `schedulesPerCustomer`.
    func createSchedule(_ draft: ScheduleDraft) async throws -> Schedule

    /// A customer's schedules by name, or every customer's (by customer, then name).
    func schedules(customer: String?) async throws -> [Schedule]

    /// One schedule; `scheduleNotFound` when the customer has none of that name.
    func schedule(customer: String, name: String) async throws -> Schedule

    /// Replaces a schedule's expression, zone, policy and job with the draft's; its ticks start
    /// again from now when its expression or zone changed, else they go on.
    func updateSchedule(_ draft: ScheduleDraft) async throws -> Schedule

    /// Removes a schedule; the jobs it made stay.
    func deleteSchedule(customer: String, name: String) async throws

    /// Pauses (no ticks are made, none is missed) or resumes a schedule; resumed, its next tick is
    /// the first after now.
    func pauseSchedule(customer: String, name: String, paused: Bool) async throws -> Schedule

    /// Makes the schedule's job now, its tick now, whatever its expression says (the backlog
    /// quota applies: `backlogQuotaExceeded`).
    func runSchedule(customer: String, name: String) async throws -> Job

    /// The schedules whose next tick has come, earliest first, at most `limit`, and the store's
    /// time they were read at.
    func dueSchedules(limit: Int) async throws -> (schedules: [Schedule], now: Date)

    /// The earliest next tick of any schedule not paused; nil when there is none.
    func nextScheduleTick() async throws -> Date?

    /// Applies each firing whose schedule still has its `expected` next tick (the others were made
    /// by another scheduler, or the schedule changed, and are passed over): makes its jobs,
    /// records the last of them — or, when the customer's backlog quota refuses them, none, with
    /// the reason — and moves the next tick. Returns the jobs made.
    func fireSchedules(_ firings: [ScheduleFiring]) async throws -> [Job]
}
