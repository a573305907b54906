import ConveyorCore
import Foundation
import Testing

extension JobStoreConformance {
    static let scheduleChecks: [StoreConformanceCheck] = [
        .init("a schedule is made, read, listed, changed and deleted, each only by its own customer") { h in
            for name in ["acme", "globex"] { _ = try await h.store.createCustomer(name) }
            // The harness's clock reads 2027-01-15 08:00 UTC: 09:00 in Berlin.
            let made = try await h.store.createSchedule(
                try scheduleDraft("acme", "nightly", cron: "0 3 * * *", timezone: "Europe/Berlin"))
            #expect(made.customer == "acme" && made.name == "nightly" && made.cron.text == "0 3 * * *")
            #expect(made.timezone == "Europe/Berlin" && made.missed == .skip && !made.paused && made.lastTick == nil)
            #expect(made.nextTickAt == date("2027-01-16T02:00:00Z"), "03:00 in Berlin, tomorrow")
            #expect(made.job.payload.text == #"{ "report" : "daily" }"#, "the payload byte for byte")
            #expect(made.createdAt == h.clock.now().truncatedToMilliseconds)
            #expect(try await h.store.schedule(customer: "acme", name: "nightly") == made)
            await expectStoreError(.scheduleNotFound(name: "nightly")) {
                try await h.store.schedule(customer: "globex", name: "nightly")
            }
            await expectStoreError(.scheduleExists(name: "nightly")) {
                try await h.store.createSchedule(try scheduleDraft("acme", "nightly"))
            }
            let other = try await h.store.createSchedule(try scheduleDraft("globex", "nightly"))
            #expect(try await h.store.schedules(customer: "acme") == [made])
            #expect(try await h.store.schedules(customer: nil) == [made, other])

            // The same times: its ticks go on. Other times: they start again from now.
            h.clock.advance(by: .seconds(60))
            let repaid = try await h.store.updateSchedule(
                try ScheduleChange(payload: JobPayload(json: "[1]"), priority: 3).draft(applyingTo: made))
            #expect(
                repaid.nextTickAt == made.nextTickAt && repaid.job.priority == 3 && repaid.job.payload.text == "[1]")
            let retimed = try await h.store.updateSchedule(
                try ScheduleChange(cron: "@hourly", timezone: "UTC").draft(applyingTo: repaid))
            #expect(retimed.nextTickAt == date("2027-01-15T09:00:00Z") && retimed.cron.text == "@hourly")
            #expect(try await h.store.schedule(customer: "acme", name: "nightly") == retimed)

            await expectStoreError(.scheduleNotFound(name: "nightly")) {
                try await h.store.updateSchedule(try scheduleDraft("initech", "nightly"))
            }
            try await h.store.deleteSchedule(customer: "acme", name: "nightly")
            #expect(try await h.store.schedules(customer: nil) == [other])
            await expectStoreError(.scheduleNotFound(name: "nightly")) {
                try await h.store.deleteSchedule(customer: "acme", name: "nightly")
            }
            await expectStoreError(.customerNotFound(name: "initech")) {
                try await h.store.createSchedule(try scheduleDraft("initech", "nightly"))
            }
        },
        .init("a customer has at most the store's schedules per customer; another's count apart") { h in
            for name in ["acme", "globex"] { _ = try await h.store.createCustomer(name) }
            let limit = JobStoreConformance.options.schedulesPerCustomer
            for index in 0..<limit { _ = try await h.store.createSchedule(try scheduleDraft("acme", "s\(index)")) }
            await expectStoreError(.tooManySchedules(customer: "acme", limit: limit)) {
                try await h.store.createSchedule(try scheduleDraft("acme", "one-more"))
            }
            _ = try await h.store.createSchedule(try scheduleDraft("globex", "one-more"))
        },
        .init("each tick makes one job, however many schedulers fire it at once") { h in
            _ = try await h.store.createCustomer("acme")
            let made = try await h.store.createSchedule(try scheduleDraft("acme", "minutely", cron: "* * * * *"))
            #expect(made.nextTickAt == date("2027-01-15T08:01:00Z"))
            #expect(try await h.store.dueSchedules(limit: 10).schedules.isEmpty, "not due before its tick")
            #expect(try await h.store.nextScheduleTick() == made.nextTickAt)
            h.clock.advance(by: .seconds(61))
            let (due, now) = try await h.store.dueSchedules(limit: 10)
            #expect(due == [made] && now == h.clock.now())
            let firing = try #require(due[0].firing(at: now))
            // Two schedulers with the same plan (a failover's moment of two leaders).
            async let first = h.store.fireSchedules([firing])
            async let second = h.store.fireSchedules([firing])
            let jobs = try await first + second
            #expect(jobs.count == 1)
            let job = try await h.reload(try #require(jobs.first))
            #expect(job.schedule == "minutely" && job.scheduledFor == date("2027-01-15T08:01:00Z"))
            #expect(job.queue == "reports" && job.type == "report.build" && job.state == .available)
            #expect(job.payload.text == #"{ "report" : "daily" }"#)
            let after = try await h.store.schedule(customer: "acme", name: "minutely")
            #expect(after.nextTickAt == date("2027-01-15T08:02:00Z"))
            #expect(
                after.lastTick == ScheduleTick(at: job.scheduledFor!, jobID: job.id, jobState: .available, skipped: nil)
            )
            // The same firing again, later: the tick is made already.
            #expect(try await h.store.fireSchedules([firing]).isEmpty)
            #expect(try await h.totalJobs() == 1)
            // Even a firing that skips the compare-and-set's guard cannot make the tick twice: the
            // (customer, schedule, tick) of a job is unique.
            let forged = ScheduleFiring(
                customer: "acme", name: "minutely", expected: after.nextTickAt, next: date("2027-01-15T08:03:00Z"),
                jobs: [firing.jobs[0]], skipped: nil)
            await #expect(throws: (any Error).self) { try await h.store.fireSchedules([forged]) }
            #expect(try await h.totalJobs() == 1)
        },
        .init("ticks missed while no scheduler ran follow the policy: skip, once, all (at most 100)") { h in
            _ = try await h.store.createCustomer("acme")
            for policy in MissedTickPolicy.allCases {
                _ = try await h.store.createSchedule(
                    try scheduleDraft("acme", policy.rawValue, cron: "* * * * *", missed: policy.rawValue))
            }
            // 08:10:30: the ticks 08:01–08:09 are over a minute old (missed), 08:10 is on time.
            h.clock.advance(by: .seconds(630))
            let (due, now) = try await h.store.dueSchedules(limit: 10)
            let jobs = try await h.store.fireSchedules(due.compactMap { $0.firing(at: now) })
            func ticks(_ name: String) -> [Date] { jobs.filter { $0.schedule == name }.compactMap(\.scheduledFor) }
            let minute = { (m: Int) in date("2027-01-15T08:\(String(format: "%02d", m)):00Z") }
            #expect(ticks("skip") == [minute(10)])
            #expect(ticks("once") == [minute(1), minute(10)])
            #expect(ticks("all") == (1...10).map(minute))
            for name in ["skip", "once", "all"] {
                let schedule = try await h.store.schedule(customer: "acme", name: name)
                #expect(schedule.nextTickAt == minute(11) && schedule.lastTick?.at == minute(10))
            }
            // Three hours missed: `all` makes the first 100 and the on-time one.
            h.clock.advance(by: .seconds(3 * 3600))
            let (late, later) = try await h.store.dueSchedules(limit: 10)
            let caught = try await h.store.fireSchedules(late.compactMap { $0.firing(at: later) })
            #expect(caught.filter { $0.schedule == "all" }.count == Schedule.catchUpLimit + 1)
            #expect(caught.filter { $0.schedule == "skip" }.count == 1)
            #expect(caught.filter { $0.schedule == "once" }.count == 2)
        },
        .init("a paused schedule makes nothing and misses nothing; resumed, it goes on from now") { h in
            _ = try await h.store.createCustomer("acme")
            _ = try await h.store.createSchedule(
                try scheduleDraft("acme", "minutely", cron: "* * * * *", missed: "all"))
            let paused = try await h.store.pauseSchedule(customer: "acme", name: "minutely", paused: true)
            #expect(paused.paused && paused.upcomingTicks(after: h.clock.now(), count: 5).isEmpty)
            #expect(try await h.store.nextScheduleTick() == nil)
            h.clock.advance(by: .seconds(600))
            #expect(try await h.store.dueSchedules(limit: 10).schedules.isEmpty)
            let resumed = try await h.store.pauseSchedule(customer: "acme", name: "minutely", paused: false)
            #expect(!resumed.paused && resumed.nextTickAt == date("2027-01-15T08:11:00Z"))
            #expect(try await h.store.pauseSchedule(customer: "acme", name: "minutely", paused: false) == resumed)
            await expectStoreError(.scheduleNotFound(name: "minutely")) {
                try await h.store.pauseSchedule(customer: "globex", name: "minutely", paused: true)
            }
        },
        .init("a tick the backlog quota refuses is skipped with the reason; other customers' ticks are made") { h in
            for name in ["acme", "globex"] { _ = try await h.store.createCustomer(name) }
            _ = try await h.store.setBacklogQuota(customer: "acme", quota: 1)
            try await h.enqueue(customer: "acme")
            for customer in ["acme", "globex"] {
                _ = try await h.store.createSchedule(try scheduleDraft(customer, "minutely", cron: "* * * * *"))
            }
            h.clock.advance(by: .seconds(61))
            let (due, now) = try await h.store.dueSchedules(limit: 10)
            let jobs = try await h.store.fireSchedules(due.compactMap { $0.firing(at: now) })
            #expect(jobs.map(\.customer) == ["globex"])
            let refused = try await h.store.schedule(customer: "acme", name: "minutely")
            #expect(refused.nextTickAt == date("2027-01-15T08:02:00Z"), "the tick is over: it is not tried again")
            #expect(refused.lastTick?.jobID == nil && refused.lastTick?.at == date("2027-01-15T08:01:00Z"))
            #expect(refused.lastTick?.skipped?.contains("backlog quota (1 jobs waiting)") == true)
        },
        .init("a schedule's jobs are ordinary jobs: a paused queue holds them") { h in
            _ = try await h.store.createCustomer("acme")
            _ = try await h.store.createSchedule(try scheduleDraft("acme", "minutely", cron: "* * * * *"))
            _ = try await h.store.pause(queue: "reports", customer: "acme")
            h.clock.advance(by: .seconds(61))
            let (due, now) = try await h.store.dueSchedules(limit: 10)
            #expect(try await h.store.fireSchedules(due.compactMap { $0.firing(at: now) }).count == 1)
            #expect(try await h.claim(10, queues: ["reports"]).isEmpty)
            _ = try await h.store.resume(queue: "reports", customer: "acme")
            #expect(try await h.claim(10, queues: ["reports"]).map(\.schedule) == ["minutely"])
        },
        .init(
            "a schedule in Berlin makes one job on the night the clocks spring forward and one on the night they fall back"
        ) { h in
            _ = try await h.store.createCustomer("acme")
            func due() async throws -> [Job] {
                let (schedules, now) = try await h.store.dueSchedules(limit: 10)
                return try await h.store.fireSchedules(schedules.compactMap { $0.firing(at: now) })
            }
            // 2027-03-28: 02:00 CET becomes 03:00 CEST, so 02:30 does not happen; it fires at the change.
            h.clock.advance(to: date("2027-03-27T12:00:00Z"))
            let made = try await h.store.createSchedule(
                try scheduleDraft("acme", "nightly", cron: "30 2 * * *", timezone: "Europe/Berlin"))
            #expect(made.nextTickAt == date("2027-03-28T01:00:00Z"))
            h.clock.advance(to: date("2027-03-28T01:00:30Z"))
            #expect(try await due().compactMap(\.scheduledFor) == [date("2027-03-28T01:00:00Z")])
            #expect(
                try await h.store.schedule(customer: "acme", name: "nightly").nextTickAt == date("2027-03-29T00:30:00Z")
            )
            // 2027-10-31: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice; it fires the first time.
            h.clock.advance(to: date("2027-10-30T12:00:00Z"))
            _ = try await due()  // the months between were missed: skipped
            h.clock.advance(to: date("2027-10-31T00:30:30Z"))
            #expect(try await due().compactMap(\.scheduledFor) == [date("2027-10-31T00:30:00Z")])
            h.clock.advance(to: date("2027-10-31T01:30:30Z"))
            #expect(try await due().isEmpty, "the second 02:30 makes nothing")
            #expect(
                try await h.store.schedule(customer: "acme", name: "nightly").nextTickAt == date("2027-11-01T01:30:00Z")
            )
        },
        .init("a run on demand makes a job now and leaves the ticks as they were") { h in
            _ = try await h.store.createCustomer("acme")
            let made = try await h.store.createSchedule(try scheduleDraft("acme", "nightly"))
            h.clock.advance(by: .seconds(5))
            let job = try await h.store.runSchedule(customer: "acme", name: "nightly")
            #expect(job.schedule == "nightly" && job.scheduledFor == h.clock.now().truncatedToMilliseconds)
            let after = try await h.store.schedule(customer: "acme", name: "nightly")
            #expect(after.nextTickAt == made.nextTickAt && after.lastTick?.jobID == job.id)
            await expectStoreError(.scheduleNotFound(name: "nightly")) {
                try await h.store.runSchedule(customer: "globex", name: "nightly")
            }
        },
    ]

    /// A schedule making `report.build` jobs on `reports`, its payload spelt with spaces.
    static func scheduleDraft(
        _ customer: String, _ name: String, cron: String = "0 3 * * *", timezone: String? = nil,
        missed: String? = nil
    ) throws -> ScheduleDraft {
        try ScheduleDraft(
            customer: customer, name: name, cron: cron, timezone: timezone, missed: missed, queue: "reports",
            type: "report.build", payload: JobPayload(json: #"{ "report" : "daily" }"#), priority: nil,
            maxAttempts: nil)
    }

    /// An instant written in ISO 8601.
    static func date(_ text: String) -> Date {
        (try? Date(text, strategy: .iso8601)) ?? .distantPast
    }
}
