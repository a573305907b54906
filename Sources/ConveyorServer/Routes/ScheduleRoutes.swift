import ConveyorCore
import Foundation
import Hummingbird

/// ScheduleRoutes manage a customer's schedules (`/api/queue/{customerId}/schedules`): a customer
/// key its own, an admin key any customer's, and `GET /api/admin/schedules` every one. A schedule
/// is named in the path; its answer carries its next five fire times and what became of its last
/// tick.
struct ScheduleRoutes {
    let queues: QueueRoutes
    let store: any ScheduleStore
    let limits: JobLimits

    func register(on router: RouterGroup<CallerContext>, admin: RouterGroup<AdminContext>) {
        router.post("queue/:customerId/schedules") { request, context in
            let customer = try await queues.customer(context)
            var request = request
            let body = try await JSONResponse.decode(ScheduleDefinition.self, from: &request)
            let schedule = try await store.createSchedule(try body.draft(customer: customer, limits: limits))
            context.logger.info(
                "schedule made", metadata: ["customer": .string(customer), "schedule": .string(schedule.name)])
            return try JSONResponse.make(ScheduleResource(schedule), status: .created)
        }
        router.get("queue/:customerId/schedules") { _, context in
            let customer = try await queues.customer(context)
            return try JSONResponse.make(
                ScheduleList(schedules: try await store.schedules(customer: customer).map(ScheduleResource.init)))
        }
        router.get("queue/:customerId/schedules/:name") { _, context in
            let (customer, name) = try await target(context)
            return try JSONResponse.make(ScheduleResource(try await store.schedule(customer: customer, name: name)))
        }
        router.patch("queue/:customerId/schedules/:name") { request, context in
            let (customer, name) = try await target(context)
            var request = request
            let change = try await JSONResponse.decode(ScheduleChangeBody.self, from: &request).change
            let current = try await store.schedule(customer: customer, name: name)
            let schedule = try await store.updateSchedule(try change.draft(applyingTo: current, limits: limits))
            return try JSONResponse.make(ScheduleResource(schedule))
        }
        router.delete("queue/:customerId/schedules/:name") { _, context in
            let (customer, name) = try await target(context)
            try await store.deleteSchedule(customer: customer, name: name)
            return Response(status: .noContent)
        }
        router.put("queue/:customerId/schedules/:name/pause") { _, context in
            let (customer, name) = try await target(context)
            return try JSONResponse.make(
                ScheduleResource(try await store.pauseSchedule(customer: customer, name: name, paused: true)))
        }
        router.delete("queue/:customerId/schedules/:name/pause") { _, context in
            let (customer, name) = try await target(context)
            return try JSONResponse.make(
                ScheduleResource(try await store.pauseSchedule(customer: customer, name: name, paused: false)))
        }
        router.post("queue/:customerId/schedules/:name/run") { _, context in
            let (customer, name) = try await target(context)
            return try JSONResponse.make(
                JobResource(job: try await store.runSchedule(customer: customer, name: name)), status: .created)
        }
        admin.get("admin/schedules") { _, _ in
            try JSONResponse.make(
                ScheduleList(schedules: try await store.schedules(customer: nil).map(ScheduleResource.init)))
        }
    }

    /// The customer (one the caller may act for) and the schedule name the path gives.
    func target(_ context: CallerContext) async throws -> (customer: String, name: String) {
        let customer = try await queues.customer(context)
        let name = try context.parameters.require("name")
        guard (try? NameRules.schedule(name)) != nil else {
            throw JobStoreError.scheduleNotFound(name: String(name.prefix(64)))
        }
        return (customer, name)
    }
}

/// ScheduleChangeBody changes a schedule: each member left out is kept (its name cannot change).
struct ScheduleChangeBody: Decodable, Sendable {
    let change: ScheduleChange

    enum CodingKeys: String, CodingKey {
        case cron, timezone, missed, queue, type, payload, priority
        case maxAttempts = "max_attempts"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        change = ScheduleChange(
            cron: try container.decodeIfPresent(String.self, forKey: .cron),
            timezone: try container.decodeIfPresent(String.self, forKey: .timezone),
            missed: try container.decodeIfPresent(String.self, forKey: .missed),
            queue: try container.decodeIfPresent(String.self, forKey: .queue),
            type: try container.decodeIfPresent(String.self, forKey: .type),
            payload: container.contains(.payload) ? try container.decode(JobPayload.self, forKey: .payload) : nil,
            priority: try container.decodeIfPresent(Int.self, forKey: .priority),
            maxAttempts: try container.decodeIfPresent(Int.self, forKey: .maxAttempts))
    }
}

/// ScheduleResource is a schedule as the API shows it.
struct ScheduleResource: Encodable, Sendable {
    let schedule: Schedule

    init(_ schedule: Schedule) { self.schedule = schedule }

    /// How many upcoming fire times an answer lists.
    static let upcoming = 5

    enum CodingKeys: String, CodingKey {
        case customer, name, cron, timezone, missed, description, paused, queue, type, payload, priority
        case maxAttempts = "max_attempts"
        case nextTicks = "next_ticks"
        case lastTick = "last_tick"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    enum TickKeys: String, CodingKey {
        case at
        case jobID = "job_id"
        case jobState = "job_state"
        case skipped
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schedule.customer, forKey: .customer)
        try container.encode(schedule.name, forKey: .name)
        try container.encode(schedule.cron.text, forKey: .cron)
        try container.encode(schedule.timezone, forKey: .timezone)
        try container.encode(schedule.missed, forKey: .missed)
        try container.encode(schedule.described, forKey: .description)
        try container.encode(schedule.paused, forKey: .paused)
        try container.encode(schedule.job.queue, forKey: .queue)
        try container.encode(schedule.job.type, forKey: .type)
        try container.encode(schedule.job.payload, forKey: .payload)
        try container.encode(schedule.job.priority, forKey: .priority)
        try container.encode(schedule.job.maxAttempts, forKey: .maxAttempts)
        // The next tick not made yet, then the ones after it: no clock is needed to list them.
        let next =
            schedule.paused
            ? []
            : [schedule.nextTickAt]
                + schedule.cron.nextTicks(after: schedule.nextTickAt, in: schedule.zone, count: Self.upcoming - 1)
        try container.encode(next, forKey: .nextTicks)
        if let tick = schedule.lastTick {
            var last = container.nestedContainer(keyedBy: TickKeys.self, forKey: .lastTick)
            try last.encode(tick.at, forKey: .at)
            try last.encode(tick.jobID, forKey: .jobID)
            try last.encode(tick.jobState, forKey: .jobState)
            try last.encode(tick.skipped, forKey: .skipped)
        } else {
            try container.encodeNil(forKey: .lastTick)
        }
        try container.encode(schedule.createdAt, forKey: .createdAt)
        try container.encode(schedule.updatedAt, forKey: .updatedAt)
    }
}

/// ScheduleList is a list of schedules.
struct ScheduleList: Encodable, Sendable {
    let schedules: [ScheduleResource]
}
