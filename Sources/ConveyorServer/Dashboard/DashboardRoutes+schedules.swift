import ConveyorCore
import Foundation
import Hummingbird

/// Schedules: a customer's own (an admin's view: every customer's), each with its expression in
/// words, its next and last run; pausing, resuming and running one now.
extension DashboardRoutes {
    func registerSchedules(pages: RouterGroup<DashboardContext>, actions: RouterGroup<DashboardContext>) {
        pages.get("schedules") { _, context in
            self.pages.page("schedules", try await schedulesView(context, notice: nil))
        }
        actions.post("schedules/:customer/:name/:action") { _, context in
            let customer = context.parameters.get("customer") ?? ""
            let name = context.parameters.get("name") ?? ""
            // A customer acts on its own schedules only; another's name is as good as missing.
            guard context.caller.canSee(customer: customer) else { throw JobStoreError.scheduleNotFound(name: name) }
            let notice: String
            switch context.parameters.get("action") ?? "" {
            case "pause":
                _ = try await store.pauseSchedule(customer: customer, name: name, paused: true)
                notice = "Schedule \(name) paused."
            case "resume":
                _ = try await store.pauseSchedule(customer: customer, name: name, paused: false)
                notice = "Schedule \(name) resumed."
            case "run":
                let job = try await store.runSchedule(customer: customer, name: name)
                notice = "Schedule \(name) made job \(job.id)."
            default:
                throw Problem.notFound("there is no such action on a schedule")
            }
            context.logger.info(
                "schedule changed from the dashboard",
                metadata: ["schedule": .string(name), "action": .string(context.parameters.get("action") ?? "")])
            return self.pages.page("schedules", try await schedulesView(context, notice: notice))
        }
    }

    func schedulesView(_ context: DashboardContext, notice: String?) async throws -> SchedulesView {
        let schedules = try await store.schedules(customer: context.caller.customer)
        let rows = schedules.map { schedule in
            let last = schedule.lastTick.map { tick in
                SchedulesView.LastRun(
                    at: DashboardTime.text(tick.at), jobID: tick.jobID?.description,
                    outcome: tick.skipped.map { "skipped: \($0)" } ?? tick.jobState?.rawValue ?? "pruned")
            }
            return SchedulesView.Row(
                customer: schedule.customer, name: schedule.name, words: schedule.described, cron: schedule.cron.text,
                job: "\(schedule.job.queue) / \(schedule.job.type)", paused: schedule.paused,
                next: schedule.paused ? nil : DashboardTime.text(schedule.nextTickAt), last: last)
        }
        return SchedulesView(
            frame: pages.frame("Schedules", context.session, current: "/schedules", notice: notice), schedules: rows,
            admin: context.caller.isAdmin, canAct: context.session.canAct, csrf: context.session.csrfToken)
    }
}

struct SchedulesView: TemplateView {
    struct LastRun {
        let at: String
        let jobID: String?
        let outcome: String
    }
    struct Row {
        let customer, name, words, cron, job: String
        let paused: Bool
        let next: String?
        let last: LastRun?
    }
    let frame: Frame
    let schedules: [Row]
    let admin: Bool
    let canAct: Bool
    let csrf: String
}
