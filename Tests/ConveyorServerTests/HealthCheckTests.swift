import ConveyorCore
import ConveyorServer
import ConveyorTestSupport
import Foundation
import Logging
import Testing

/// Every health check judged on real readings from each engine: a store set up with a worker, a
/// backlog, a stale job, a dead job and a leader, then the thresholds moved so that each check
/// passes, warns and fails in turn.
@Suite("Health checks on real readings")
struct HealthCheckTests {
    /// The maintenance role the scenes lead (serve reports the stale-job rescuer's).
    static let role = "maintenance"

    /// A store holding one of everything health reads, on a test clock.
    struct Scene {
        let store: any JobStore
        let clock: TestClock
        let campaign: Task<Void, any Error>
        let remove: @Sendable () async -> Void

        static func make(_ engine: Engine) async throws -> Scene {
            let clock = TestClock()
            let (store, remove) = try await engine.openStore(clock: clock)
            let h = StoreHarness(store: store, clock: clock)
            // Two workers, one of which stopped heartbeating 20 s ago (liveness is 15 s).
            _ = try await store.registerWorker(
                try WorkerRegistration(id: "gone", host: "box", pid: 1, queues: ["default"], concurrency: 1))
            // A job that ran out of attempts, and one whose worker died holding it.
            try await h.enqueue(queue: "doomed", maxAttempts: 1)
            let doomed = try await h.claimOne(queues: ["doomed"])
            _ = try await store.fail(try #require(doomed.lease), message: "boom", retryable: false)
            try await h.enqueue(queue: "held")
            _ = try await h.claimOne(queues: ["held"], lease: .seconds(5))
            // Three jobs waiting in "default", the oldest for 100 s by the time health reads.
            try await h.enqueue()
            clock.advance(by: .seconds(20))
            _ = try await store.registerWorker(
                try WorkerRegistration(id: "alive", host: "box", pid: 2, queues: ["default"], concurrency: 1))
            try await h.enqueue()
            try await h.enqueue()
            clock.advance(by: .seconds(80))
            _ = try await store.heartbeatWorker(id: "alive", jobsRunning: 0)
            let (led, leading) = AsyncStream.makeStream(of: Void.self)
            let campaign = Task {
                try await store.lead(HealthCheckTests.role, retry: .milliseconds(100)) {
                    leading.yield()
                    try await Task.sleep(for: .seconds(3600))
                }
            }
            var waiting = led.makeAsyncIterator()
            _ = await waiting.next()
            return Scene(store: store, clock: clock, campaign: campaign, remove: remove)
        }

        func report(_ thresholds: HealthThresholds, rateLimiter: RateLimiter? = nil) async -> HealthReport {
            let monitor = HealthMonitor(
                store: store, rateLimiter: rateLimiter,
                configuration: HealthConfiguration(
                    thresholds: thresholds, version: "test", leaderRole: HealthCheckTests.role, reuseFor: .zero),
                clock: clock, logger: Logger(label: "test-health"))
            return await monitor.report()
        }

        func stop() async {
            campaign.cancel()
            _ = await campaign.result
            await remove()
        }
    }

    /// A threshold that gives `value` the status `status`, for measures where more is worse.
    static func above(_ value: Double, giving status: HealthStatus) -> HealthThreshold {
        switch status {
        case .pass: .above(warn: value + 1, fail: value + 2)
        case .warn: .above(warn: value, fail: value + 1)
        case .fail: .above(warn: value, fail: value)
        }
    }

    @Test(
        "the readings: one live worker, one stale job, a backlog of 3 aged 100 s, one dead job, the leader",
        arguments: Engine.available)
    func readings(_ engine: Engine) async throws {
        let scene = try await Scene.make(engine)
        // The readings, not their timing: a generous bound, since the full suite loads the machine
        // (once, every PostgreSQL reading here missed the default 2 s).
        var thresholds = HealthThresholds()
        thresholds.checkTimeout = .seconds(30)
        let report = await scene.report(thresholds)
        func value(_ key: String, _ component: String? = nil) -> JSONValue? {
            report.checks[key]?.first { component == nil || $0.componentId == component }?.observedValue
        }
        #expect(value(HealthReport.Key.workers) == .integer(1), "\(engine)")
        #expect(value(HealthReport.Key.staleJobs) == .integer(1), "\(engine)")
        #expect(value(HealthReport.Key.queueDepth, "acme/default") == .integer(3), "\(engine)")
        #expect(value(HealthReport.Key.queueAge, "acme/default") == .integer(100), "\(engine)")
        #expect(value(HealthReport.Key.deadLetters) == .integer(1), "\(engine)")
        let leader = try #require(report.checks[HealthReport.Key.leader]?.first)
        #expect(leader.status == .pass && leader.since == scene.clock.now(), "\(engine)")
        if case .string(let holder) = leader.observedValue {
            #expect(holder.contains(":\(ProcessInfo.processInfo.processIdentifier)/"))
        } else {
            Issue.record("the leader check names no holder: \(leader.observedValue)")
        }
        // The "held" queue's job is running, not waiting: it is no backlog.
        #expect(report.checks[HealthReport.Key.queueDepth]?.map(\.componentId) == ["acme/default"])
        #expect(report.checks[HealthReport.Key.rateLimiter] == nil, "no limiter, no check")
        await scene.stop()
    }

    @Test(
        "each check passes, warns and fails as its thresholds say; the report is the worst of them",
        arguments: Engine.available)
    func thresholds(_ engine: Engine) async throws {
        let scene = try await Scene.make(engine)
        for status in HealthStatus.allCases {
            // Every check at `status`, one check at a time: the others stay lenient.
            let lenient: HealthThresholds = {
                var t = HealthThresholds()
                t.databaseLatencyMs = .above(warn: nil, fail: nil)
                t.liveWorkers = .below(warn: nil, fail: nil)
                t.staleJobs = .above(warn: nil, fail: nil)
                t.queueDepth = .above(warn: nil, fail: nil)
                t.oldestAvailableSeconds = .above(warn: nil, fail: nil)
                t.deadLetters = .above(warn: nil, fail: nil)
                // The statuses, not the 2 s bound: the full suite loads the machine.
                t.checkTimeout = .seconds(30)
                return t
            }()
            let cases: [(String, (inout HealthThresholds) -> Void)] = [
                (
                    HealthReport.Key.database,
                    {
                        // Any round trip takes at least 0 ms, and less than an hour.
                        $0.databaseLatencyMs =
                            switch status {
                            case .pass: .above(warn: 3_600_000, fail: nil)
                            case .warn: .above(warn: 0, fail: 3_600_000)
                            case .fail: .above(warn: 0, fail: 0)
                            }
                    }
                ),
                (
                    HealthReport.Key.workers,
                    {
                        $0.liveWorkers =
                            switch status {
                            case .pass: .below(warn: 1, fail: 1)
                            case .warn: .below(warn: 2, fail: 1)
                            case .fail: .below(warn: 2, fail: 2)
                            }
                    }
                ),
                (HealthReport.Key.staleJobs, { $0.staleJobs = Self.above(1, giving: status) }),
                (HealthReport.Key.queueDepth, { $0.queueDepth = Self.above(3, giving: status) }),
                (HealthReport.Key.queueAge, { $0.oldestAvailableSeconds = Self.above(100, giving: status) }),
                (HealthReport.Key.deadLetters, { $0.deadLetters = Self.above(1, giving: status) }),
            ]
            for (key, adjust) in cases {
                var thresholds = lenient
                adjust(&thresholds)
                let report = await scene.report(thresholds)
                let check = try #require(report.checks[key]?.first, "\(engine) \(key)")
                #expect(check.status == status, "\(engine) \(key): \(check)")
                #expect((check.output != nil) == (status != .pass), "\(engine) \(key): \(check)")
                #expect(report.status == status, "\(engine) \(key): the worst check decides")
            }
        }
        // The rate limiter: deciding on the store → pass; once a decision outlasts its (tiny)
        // store timeout it decides from memory → the configured status.
        let limiter = RateLimiter(
            store: scene.store, configuration: .init(storeTimeout: .nanoseconds(1)),
            logger: Logger(label: "test-limiter"))
        let onStore = try #require(
            await scene.report(HealthThresholds(), rateLimiter: limiter).checks[HealthReport.Key.rateLimiter]?.first)
        #expect(onStore.status == .pass && onStore.observedValue == .string("store"))
        for _ in 0..<1000 where limiter.mode == .store { _ = await limiter.decide(.client(address: "192.0.2.1")) }
        #expect(limiter.mode == .fallback, "no decision outlasted a nanosecond")
        for status in HealthStatus.allCases {
            var thresholds = HealthThresholds()
            thresholds.rateLimiterFallback = status
            let check = try #require(
                await scene.report(thresholds, rateLimiter: limiter).checks[HealthReport.Key.rateLimiter]?.first)
            #expect(check.status == status && check.observedValue == .string("fallback"), "\(engine): \(check)")
        }
        // Leadership: led → pass; nobody leading → the configured status.
        scene.campaign.cancel()
        _ = await scene.campaign.result
        for status in HealthStatus.allCases {
            var thresholds = HealthThresholds()
            thresholds.noLeader = status
            let check = try #require(await scene.report(thresholds).checks[HealthReport.Key.leader]?.first)
            #expect(check.status == status && check.observedValue == .null, "\(engine): \(check)")
        }
        await scene.stop()
    }
}
