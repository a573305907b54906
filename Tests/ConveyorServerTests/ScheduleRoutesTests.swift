import ConveyorCore
import ConveyorMaintenance
import ConveyorTestSupport
import Foundation
import Testing

@Suite("HTTP API: schedules")
struct ScheduleRoutesTests {
    /// A schedule at 03:00 in Berlin, its payload spelt as a user might.
    static let nightly = #"""
        {"name":"nightly","cron":"0 3 * * *","timezone":"Europe/Berlin","queue":"reports","type":"report.build",
         "payload":{ "user" : 42, "tags":["a"] },"priority":2,"max_attempts":3}
        """#

    @Test("a schedule is made, read, changed, paused, resumed, run and deleted", arguments: Engine.available)
    func lifecycle(_ engine: Engine) async throws {
        // The clock reads 2027-01-15 08:00 UTC (09:00 in Berlin).
        let clock = TestClock()
        let server = try await ServerHarness.start(engine, clock: clock)
        defer { Task { await server.stop() } }
        let made = try await server.send("POST", "/api/queue/acme/schedules", key: server.acmeKey, json: Self.nightly)
        #expect(made.status == 201, "\(String(decoding: made.body, as: UTF8.self))")
        let schedule = made.json
        #expect(schedule["name"] as? String == "nightly" && schedule["customer"] as? String == "acme")
        #expect(schedule["description"] as? String == "every day at 03:00, Europe/Berlin")
        #expect(schedule["missed"] as? String == "skip" && schedule["paused"] as? Bool == false)
        #expect(
            schedule["next_ticks"] as? [String] == [
                "2027-01-16T02:00:00.000Z", "2027-01-17T02:00:00.000Z", "2027-01-18T02:00:00.000Z",
                "2027-01-19T02:00:00.000Z", "2027-01-20T02:00:00.000Z",
            ])
        #expect(schedule["last_tick"] is NSNull)
        let body = String(decoding: made.body, as: UTF8.self)
        #expect(body.contains(#""payload":{ "user" : 42, "tags":["a"] }"#), "the payload byte for byte: \(body)")

        let again = try await server.send("POST", "/api/queue/acme/schedules", key: server.acmeKey, json: Self.nightly)
        #expect(again.status == 409 && again.json["field"] as? String == "name")

        let changed = try await server.send(
            "PATCH", "/api/queue/acme/schedules/nightly", key: server.acmeKey, json: #"{"cron":"@every 90m"}"#)
        #expect(changed.status == 200)
        #expect(changed.json["description"] as? String == "every 1 hour 30 minutes")
        #expect((changed.json["next_ticks"] as? [String])?.first == "2027-01-15T09:00:00.000Z")

        let paused = try await server.send("PUT", "/api/queue/acme/schedules/nightly/pause", key: server.acmeKey)
        #expect(paused.json["paused"] as? Bool == true && (paused.json["next_ticks"] as? [String]) == [])
        let resumed = try await server.send("DELETE", "/api/queue/acme/schedules/nightly/pause", key: server.acmeKey)
        #expect(resumed.json["paused"] as? Bool == false)

        let run = try await server.send("POST", "/api/queue/acme/schedules/nightly/run", key: server.acmeKey)
        #expect(run.status == 201)
        #expect(run.json["schedule"] as? String == "nightly" && run.json["scheduled_for"] as? String != nil)
        let shown = try await server.send("GET", "/api/queue/acme/schedules/nightly", key: server.acmeKey)
        let last = try #require(shown.json["last_tick"] as? [String: Any])
        #expect(last["job_id"] as? String == run.json["id"] as? String && last["job_state"] as? String == "available")

        let listed = try await server.send("GET", "/api/queue/acme/schedules", key: server.acmeKey)
        #expect((listed.json["schedules"] as? [[String: Any]])?.map { $0["name"] as? String } == ["nightly"])
        let theirs = try await server.send("GET", "/api/queue/globex/schedules", key: server.globexKey)
        #expect((theirs.json["schedules"] as? [Any])?.isEmpty == true, "another customer sees none of acme's")

        #expect(try await server.send("DELETE", "/api/queue/acme/schedules/nightly", key: server.acmeKey).status == 204)
        #expect(try await server.send("GET", "/api/queue/acme/schedules/nightly", key: server.acmeKey).status == 404)
    }

    @Test("a bad schedule is 422 naming the field and what is wrong; nothing is made", arguments: Engine.available)
    func badInput(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let good: [String: Any] = [
                "name": "nightly", "cron": "0 3 * * *", "queue": "reports", "type": "report.build", "payload": [:],
            ]
            let cases: [(String, Any, String, String)] = [
                ("cron", "61 * * * *", "cron", "61 is out of 0–59"),
                ("cron", "0 0 30 2 *", "cron", "never fires"),
                ("cron", "* * * *", "cron", "has 4 fields"),
                ("cron", "@fortnightly", "cron", "@fortnightly"),
                ("timezone", "Mars/Olympus_Mons", "timezone", "IANA time zone"),
                ("missed", "sometimes", "missed", "skip, once or all"),
                ("name", "Nightly Report", "name", "a–z"),
                ("priority", 12, "priority", "between 0"),
                ("queue", "_webhooks", "queue", "a–z"),
                ("every", "day", "every", "not a member"),
            ]
            for (member, value, field, reason) in cases {
                var body = good
                body[member] = value
                let answer = try await server.send(
                    "POST", "/api/queue/acme/schedules", key: server.acmeKey,
                    body: try JSONSerialization.data(withJSONObject: body))
                #expect(answer.status == 422, "\(member): \(value)")
                #expect(answer.json["field"] as? String == field, "\(member): \(value)")
                let detail = answer.json["detail"] as? String ?? ""
                #expect(detail.contains(reason), "\(member): \(value) → \(detail)")
            }
            #expect(try await server.store.schedules(customer: nil).isEmpty)
        }
    }

    @Test(
        "the scheduler makes each tick's job, which says its schedule and tick to a worker", arguments: Engine.available
    )
    func ticks(_ engine: Engine) async throws {
        let clock = TestClock()
        let server = try await ServerHarness.start(engine, clock: clock)
        defer { Task { await server.stop() } }
        let made = try await server.send(
            "POST", "/api/queue/acme/schedules", key: server.acmeKey,
            json: #"{"name":"minutely","cron":"* * * * *","queue":"reports","type":"report.build","payload":[1, 2]}"#)
        #expect(made.status == 201)
        let scheduler = Scheduler(store: server.store, clock: clock)
        #expect(try await scheduler.pass().made.isEmpty, "nothing is due before the first tick")
        clock.advance(by: .seconds(60))
        let jobs = try await scheduler.pass().made
        #expect(jobs.count == 1)
        let claimed = try await server.send(
            "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["reports"],"wait_seconds":0}"#)
        let job = try #require((claimed.json["jobs"] as? [[String: Any]])?.first)
        #expect(
            job["schedule"] as? String == "minutely" && job["scheduled_for"] as? String == "2027-01-15T08:01:00.000Z")
        #expect(String(decoding: claimed.body, as: UTF8.self).contains(#""payload":[1, 2]"#))
        #expect(try await scheduler.pass().made.isEmpty, "a tick is made once")
        let shown = try await server.send("GET", "/api/queue/acme/schedules/minutely", key: server.acmeKey)
        let last = try #require(shown.json["last_tick"] as? [String: Any])
        #expect(last["at"] as? String == "2027-01-15T08:01:00.000Z" && last["job_state"] as? String == "running")
    }
}
