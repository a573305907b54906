import ConveyorCore
import ConveyorServer
import Foundation
import Testing

@Suite("Health reports from readings")
struct HealthReportTests {
    static let now = Date(unixMilliseconds: 1_800_000_000_000)

    static func observations(
        database: HealthObservations.Reading<Duration> = .success(.milliseconds(2)),
        workers: HealthObservations.Reading<[Worker]> = .success([]),
        mode: String? = "store",
        leader: HealthObservations.Reading<Leadership?> = .success(nil)
    ) -> HealthObservations {
        HealthObservations(
            database: database, workers: workers, staleJobs: .success(0), backlogs: .success([]),
            deadLetters: .success(0), rateLimiterMode: mode, leader: leader)
    }

    @Test("a threshold warns from its warn bound and fails from its fail bound; below-thresholds the other way")
    func thresholds() {
        let above = HealthThreshold.above(warn: 10, fail: 20)
        #expect([9.9, 10, 19.9, 20, 1e9].map(above.status(of:)) == [.pass, .warn, .warn, .fail, .fail])
        let below = HealthThreshold.below(warn: 2, fail: 1)
        #expect([3, 2, 1.5, 1, 0].map(below.status(of:)) == [.pass, .pass, .warn, .warn, .fail])
        #expect(HealthThreshold.above(warn: nil, fail: nil).status(of: .infinity) == .pass)
        #expect(above.explain(25, unit: "ms") == "25 ms, at or above the fail threshold of 20")
        #expect(below.explain(0, unit: "workers") == "0 workers, below the fail threshold of 1")
        #expect(above.explain(5, unit: "ms") == nil)
    }

    @Test("HEALTH_* settings override the defaults; off turns a bound off; bad values name the setting")
    func environment() throws {
        let thresholds = try HealthThresholds(
            settings: Settings(environment: [
                "HEALTH_DATABASE_LATENCY_MS_WARN": "50", "HEALTH_DATABASE_LATENCY_MS_FAIL": "off",
                "HEALTH_LIVE_WORKERS_FAIL": "1", "HEALTH_NO_LEADER": "fail", "HEALTH_CHECK_TIMEOUT_MS": "250",
            ]))
        #expect(thresholds.databaseLatencyMs == .above(warn: 50, fail: nil))
        #expect(thresholds.liveWorkers == .below(warn: 1, fail: 1))
        #expect(thresholds.noLeader == .fail && thresholds.rateLimiterFallback == .warn)
        #expect(thresholds.checkTimeout == .milliseconds(250))
        #expect(try HealthThresholds(settings: Settings(environment: [:])) == HealthThresholds())
        for (name, value) in [
            ("HEALTH_STALE_JOBS_WARN", "many"), ("HEALTH_QUEUE_DEPTH_FAIL", "-1"), ("HEALTH_NO_LEADER", "panic"),
            ("HEALTH_CHECK_TIMEOUT_MS", "0"),
        ] {
            #expect(throws: ValidationError.self) {
                try HealthThresholds(settings: Settings(environment: [name: value]))
            }
            do {
                _ = try HealthThresholds(settings: Settings(environment: [name: value]))
            } catch {
                #expect(error.field == name)
            }
        }
    }

    @Test("the database unreachable fails the report; readings that depend on it warn as not measured")
    func databaseDown() throws {
        let failure = HealthProbeFailure("no answer within 2 s")
        let report = HealthReport(
            HealthObservations(
                database: .failure(failure), workers: .failure(failure), staleJobs: .failure(failure),
                backlogs: .failure(failure), deadLetters: .failure(failure), rateLimiterMode: "fallback",
                leader: .failure(failure)),
            thresholds: HealthThresholds(), version: "1", role: "r", at: Self.now)
        #expect(report.status == .fail)
        #expect(report.checks[HealthReport.Key.database]?.first?.output == "unreachable: no answer within 2 s")
        #expect(report.checks[HealthReport.Key.workers]?.first?.status == .warn)
        #expect(report.checks[HealthReport.Key.queueDepth]?.first?.output == "not measured: no answer within 2 s")
        #expect(report.checks[HealthReport.Key.rateLimiter]?.first?.status == .warn)
    }

    @Test("the limiter's fallback and a missing leader take their configured status, with output only when not passing")
    func configuredStatuses() {
        var thresholds = HealthThresholds()
        thresholds.liveWorkers = .below(warn: nil, fail: nil)
        for status in HealthStatus.allCases {
            thresholds.rateLimiterFallback = status
            thresholds.noLeader = status
            let report = HealthReport(
                Self.observations(mode: "fallback"), thresholds: thresholds, version: "1", role: "r", at: Self.now)
            for key in [HealthReport.Key.rateLimiter, HealthReport.Key.leader] {
                let check = report.checks[key]?.first
                #expect(check?.status == status && (check?.output != nil) == (status != .pass), "\(key)")
            }
            #expect(report.status == status)
        }
        let led = HealthReport(
            Self.observations(leader: .success(Leadership(role: "r", holder: "box:1/a", since: Self.now))),
            thresholds: thresholds, version: "1", role: "r", at: Self.now)
        #expect(led.checks[HealthReport.Key.leader]?.first?.observedValue == .string("box:1/a"))
        #expect(led.status == .pass)
    }

    @Test("health+json: the draft's field names; without details only status and version")
    func encoding() throws {
        let report = HealthReport(
            Self.observations(database: .success(.microseconds(1500))), thresholds: HealthThresholds(), version: "1.2",
            role: "r", at: Self.now)
        let full = try #require(try JSONSerialization.jsonObject(with: report.encoded(details: true)) as? [String: Any])
        let checks = try #require(full["checks"] as? [String: [[String: Any]]])
        let database = try #require(checks["database:responseTime"]?.first)
        #expect(database["observedValue"] as? Double == 1.5)
        #expect(database["observedUnit"] as? String == "ms" && database["componentType"] as? String == "datastore")
        #expect(database["time"] as? String == "2027-01-15T08:00:00.000Z")
        let brief = try #require(
            try JSONSerialization.jsonObject(with: report.encoded(details: false)) as? [String: Any])
        #expect(Set(brief.keys) == ["status", "version"] && brief["status"] as? String == report.status.rawValue)
    }
}
