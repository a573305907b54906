import ConveyorCore
@_spi(Testing) import ConveyorPostgres
import ConveyorSQLite
import ConveyorTestSupport
import Foundation
import Testing

/// Many `conveyor` processes sharing one database: leader election for maintenance, and workers
/// draining a queue together — with a process killed outright halfway.
@Suite("conveyor processes sharing a database")
struct ClusterTests {
    enum Engine: String, CaseIterable, Sendable {
        case sqlite, postgres
    }

    static var engines: [Engine] {
        ProcessInfo.processInfo.environment["CONVEYOR_TEST_POSTGRES_URL"] == nil ? [.sqlite] : Engine.allCases
    }

    /// A fresh database of the engine: the DATABASE_URL to give the processes, and a store on it.
    static func database(
        _ engine: Engine, in cli: ConveyorProcess
    ) async throws -> (url: String, store: any JobStore, drop: @Sendable () async -> Void) {
        switch engine {
        case .sqlite:
            let path = cli.directory.appendingPathComponent("cluster.sqlite").path
            return (path, try await SQLiteJobStore.open(path: path), {})
        case .postgres:
            let (url, name) = try await PostgresCLITests.createDatabase()
            let store = try await PostgresJobStore.open(
                url: url, options: PostgresJobStore.Options(maximumConnections: 4).patient)
            return (
                url, store,
                {
                    store.close()
                    await PostgresCLITests.dropDatabase(name)
                }
            )
        }
    }

    static func leaderLines(_ processes: [RunningConveyor]) -> [Int] {
        processes.map { $0.output.components(separatedBy: "became the leader").count - 1 }
    }

    @Test("exactly one stale-job monitor leads; when it is killed another takes over and rescues", arguments: engines)
    func leaderElection(_ engine: Engine) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (url, store, drop) = try await Self.database(engine, in: cli)
        let env = ["DATABASE_URL": url, "LOG_LEVEL": "info"]
        let monitors = try (0..<3).map { _ in
            try cli.start(["monitor", "stale", "--interval", "0.3", "--grace", "0"], environment: env)
        }
        defer { monitors.forEach { $0.stop() } }
        try await poll("a leader") { Self.leaderLines(monitors).reduce(0, +) >= 1 }
        let leader = try #require(Self.leaderLines(monitors).firstIndex(of: 1))

        // The leader rescues a job whose worker "died" (its lease runs out unrenewed); meanwhile the
        // followers keep trying for leadership every 0.3 s.
        func strandJob() async throws -> Job {
            _ = try await store.enqueue(NewJob(customer: "acme", queue: "mail", type: "t", payloadJSON: "{}"))
            return try #require(try await store.claim(ClaimRequest(queues: ["mail"], lease: .seconds(1))).first)
        }
        let first = try await strandJob()
        try await poll("the leader to rescue the stranded job") {
            try await store.job(id: first.id)?.state == .retryable
        }

        monitors[leader].signal(SIGKILL)
        _ = try await monitors[leader].waitForExit()
        try await poll("another monitor to take over") { Self.leaderLines(monitors).reduce(0, +) >= 2 }
        let second = try await strandJob()
        try await poll("the new leader to rescue") { try await store.job(id: second.id)?.state == .retryable }
        #expect(try await store.job(id: second.id)?.errors.last?.message == Job.staleErrorMessage)

        // The follower stops first: stopped after the leader, it could take the role the leader
        // hands back on its way out, for the moment before its own shutdown.
        let successor = try #require(
            Self.leaderLines(monitors).indices.first { $0 != leader && Self.leaderLines(monitors)[$0] > 0 })
        for (index, monitor) in monitors.enumerated() where index != leader && index != successor {
            monitor.signal(SIGTERM)
            #expect(try await monitor.waitForExit() == 0, "\(monitor.output)")
        }
        monitors[successor].signal(SIGTERM)
        #expect(try await monitors[successor].waitForExit() == 0, "\(monitors[successor].output)")
        // Over the whole run there was one leader at a time: the first, then one successor.
        #expect(Self.leaderLines(monitors).reduce(0, +) == 2, "\(monitors.map(\.output))")
        await drop()
    }

    @Test(
        "a worker killed by SIGKILL mid-job: its job is rescued within an interval of its lease running out, and another worker completes it",
        arguments: engines)
    func killedMidJob(_ engine: Engine) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (url, store, drop) = try await Self.database(engine, in: cli)
        let env = ["DATABASE_URL": url]
        let job = try await store.enqueue(
            NewJob(customer: "acme", queue: "media", type: "transcode", payloadJSON: "{}")
        )
        .job
        let lease = Duration.seconds(3)
        let interval = Duration.seconds(1)
        let rescuer = try cli.start(["monitor", "stale", "--interval", "1", "--grace", "0"], environment: env)
        defer { rescuer.stop() }
        // The monitor's bound is the subject: the workers leave maintenance to it. (A worker that
        // led the rescuer and was killed would hold the role on SQLite for its leader lease, three
        // intervals — 15 s at the default — before anyone else rescues.)
        let workers = env.merging(["MAINTENANCE": "off"]) { $1 }
        let doomed = try cli.start(
            ["work", "--queue", "media", "--lease", "\(Int(lease.timeInterval))", "--", "sleep", "30"],
            environment: workers)
        defer { doomed.stop() }
        try await poll("the worker to start the job") { try await store.job(id: job.id)?.state == .running }
        // Frozen first, so that the lease read next is the last it renewed (it renews every third
        // of its lease: a worker starved for longer than the rest would lose the job while alive).
        doomed.signal(SIGSTOP)
        let stranded = try #require(try await store.job(id: job.id))
        doomed.signal(SIGKILL)
        _ = try await doomed.waitForExit()
        try #require(stranded.state == .running, "the lease ran out before the worker was stopped")
        let expired = try #require(stranded.leaseExpiresAt)
        try await poll("the job to be rescued", every: .milliseconds(20)) {
            try await store.job(id: job.id)?.state == .retryable
        }
        let rescued = try #require(try await store.job(id: job.id))
        // How late the rescue came after the lease ran out, by the stamps the processes wrote: the
        // pass that finds it comes at most --interval later. Two seconds of slack for a monitor
        // scheduled late on a machine loaded by the suites beside this one; the test's own polling
        // is not in the figure. (The whole kill-to-rescue span, lease included, once took 5.4 s.)
        let late = try #require(rescued.lastFailedAt).timeIntervalSince(expired)
        #expect(late >= 0, "rescued \(late) s before its lease ran out")
        #expect(late <= interval.timeInterval + 2, "rescued \(late) s after its lease ran out")
        #expect(rescued.errors.last?.message == Job.staleErrorMessage && rescued.attempt == 1)

        // Another worker runs it once its retry delay (15 s by default) has passed.
        let survivor = try cli.start(["work", "--queue", "media", "--", "true"], environment: workers)
        defer { survivor.stop() }
        try await poll("another worker to complete the job", timeout: .seconds(60), every: .milliseconds(100)) {
            try await store.job(id: job.id)?.state == .completed
        }
        #expect(try await store.job(id: job.id)?.attempt == 2)
        survivor.signal(SIGTERM)
        #expect(try await survivor.waitForExit() == 0)
        rescuer.signal(SIGTERM)
        _ = try await rescuer.waitForExit()
        await drop()
    }

    @Test(
        "4 worker processes drain 20,000 jobs, each run exactly once; with one killed mid-run, its jobs are rescued and nothing is lost",
        .enabled(
            if: ProcessInfo.processInfo.environment["CONVEYOR_TEST_POSTGRES_URL"] != nil,
            "needs scripts/test's PostgreSQL"))
    func manyWorkers() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (url, store, drop) = try await Self.database(.postgres, in: cli)
        let postgres = try #require(store as? PostgresJobStore)
        let env = ["DATABASE_URL": url]
        let total = 20_000
        func fill(_ queue: String) async throws {
            for start in stride(from: 0, to: total, by: 1000) {
                _ = try await store.enqueue(
                    batch: try (start..<start + 1000).map {
                        try NewJob(
                            customer: "acme", queue: queue, type: "t", payloadJSON: "{\"n\":\($0)}", maxAttempts: 5)
                    })
            }
        }
        func completed(_ queue: String) async throws -> Int {
            try await store.counts(customer: "acme").first { $0.queue == queue }?.counts[.completed] ?? 0
        }
        // `--print` writes each job it runs as a JSON line: the ids say which jobs ran, how often.
        func runs(_ workers: [RunningConveyor]) -> [String] {
            workers.flatMap { worker in
                worker.output.split(separator: "\n").compactMap { line -> String? in
                    guard line.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)),
                        let id = (object as? [String: Any])?["id"] as? String
                    else { return nil }
                    return id
                }
            }
        }
        // Each worker names its connections, so the test can tell when a dead one's are gone.
        let names = (0..<4).map { "worker-\($0)-\(UUID().uuidString.prefix(8))" }
        func startWorkers(_ queue: String, lease: String) throws -> [RunningConveyor] {
            try names.map { name in
                try cli.start(
                    ["work", "--queue", queue, "--concurrency", "4", "--lease", lease, "--print"],
                    environment: env.merging(["PGAPPNAME": name]) { $1 })
            }
        }

        // Undisturbed: every job completed, every job run exactly once.
        try await fill("calm")
        let calm = try startWorkers("calm", lease: "30")
        defer { calm.forEach { $0.stop() } }
        try await poll("20,000 jobs to complete", timeout: .seconds(600), every: .milliseconds(500)) {
            try await completed("calm") == total
        }
        let calmRuns = runs(calm)
        #expect(calmRuns.count == total)
        #expect(Set(calmRuns).count == total)
        for worker in calm { worker.signal(SIGTERM) }
        for worker in calm { #expect(try await worker.waitForExit() == 0) }

        // One worker killed outright: its leased jobs wait for their (2 s) leases to expire, the
        // stale-job monitor rescues them, and the other workers run them again.
        try await fill("storm")
        let rescuer = try cli.start(["monitor", "stale", "--interval", "0.5", "--grace", "0"], environment: env)
        defer { rescuer.stop() }
        let storm = try startWorkers("storm", lease: "2")
        defer { storm.forEach { $0.stop() } }
        try await poll("the run to get going", timeout: .seconds(120), every: .milliseconds(250)) {
            try await completed("storm") >= 2_000
        }
        // Freeze the worker until it is caught holding leased jobs, then kill it: those jobs are
        // stranded exactly as a crash strands them.
        let pid = storm[0].process.processIdentifier
        func leasedByVictim() async throws -> Set<JobID> {
            let running = try await store.list(
                JobQuery(filter: JobFilter(queue: "storm", states: [.running]), limit: 1000))
            return Set(running.jobs.filter { $0.workerID?.contains("-\(pid)-") == true }.map(\.id))
        }
        try await poll("the worker to be caught holding jobs", every: .milliseconds(5)) {
            storm[0].signal(SIGSTOP)
            let caught = try await leasedByVictim().count > 0
            if !caught { storm[0].signal(SIGCONT) }
            return caught
        }
        let victimConnections = try await postgres.scalarStrings(
            "SELECT count(*)::text FROM pg_stat_activity WHERE application_name = '\(names[0])'")
        #expect(victimConnections != ["0"], "the worker's connections carry its PGAPPNAME")
        storm[0].signal(SIGKILL)
        _ = try await storm[0].waitForExit()
        // Counted once the server has closed the dead worker's connections: a completion it sent
        // just before the freeze still lands first, and such a job is not stranded.
        try await poll("the server to drop the dead worker's connections") {
            try await postgres.scalarStrings(
                "SELECT count(*)::text FROM pg_stat_activity WHERE application_name = '\(names[0])'") == ["0"]
        }
        let stranded = try await leasedByVictim()
        #expect(!stranded.isEmpty, "the killed worker died holding jobs")
        try await poll("every job to complete", timeout: .seconds(600), every: .milliseconds(500)) {
            try await completed("storm") == total
        }
        let counts = try #require(try await store.counts(customer: "acme").first { $0.queue == "storm" })
        #expect(counts.counts == [.completed: total], "enqueued = completed")
        #expect(Set(runs(storm)).count == total, "every job ran")
        // Every job the dead worker held was rescued (its attempt failed as stale) and completed.
        for id in stranded {
            let job = try #require(try await store.job(id: id))
            #expect(job.state == .completed)
            #expect(job.errors.contains { $0.message == Job.staleErrorMessage }, "\(id) was rescued")
        }
        for worker in storm.dropFirst() { worker.signal(SIGTERM) }
        rescuer.signal(SIGTERM)
        await drop()
    }
}
