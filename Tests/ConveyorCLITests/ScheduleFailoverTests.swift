import ConveyorCore
@_spi(Testing) import ConveyorPostgres
import ConveyorTestSupport
import Foundation
import Testing

/// A schedule's ticks under failure, on PostgreSQL: three `serve` processes campaign for the
/// scheduler; the leader is killed outright twice and the database restarted once while a
/// 1-second schedule runs for a minute. Real time, real processes, a cluster of the test's own.
@Suite(
    "schedules across processes that die",
    .enabled(if: ThrowawayPostgres.binaries != nil, "needs scripts/test's PostgreSQL binaries"))
struct ScheduleFailoverTests {
    @Test("every tick of a 1-second schedule makes one job, through two leaders killed and a database restart")
    func failover() async throws {
        let cluster = try await ThrowawayPostgres.start()
        let cli = try ConveyorProcess()
        var processes: [RunningConveyor] = []
        do {
            let env = ["DATABASE_URL": cluster.url, "LOG_LEVEL": "info", "WEBHOOK_DELIVERY": "off"]
            func startServe() throws -> RunningConveyor {
                let process = try cli.start(["serve", "--port", "0"], environment: env)
                processes.append(process)
                return process
            }
            let first = try startServe()
            try await poll("the first server to listen", timeout: .seconds(60)) {
                first.output.contains("listening on")
            }
            for _ in 0..<2 { _ = try startServe() }
            let store = try await cluster.openStore(options: PostgresJobStore.Options(maximumConnections: 2).patient)
            defer { store.close() }
            _ = try await store.createCustomer("acme")
            // `all`: a tick no scheduler made in time (a failover, the restart) is made late, not lost.
            _ = try await store.createSchedule(
                try ScheduleDraft(
                    customer: "acme", name: "every-second", cron: "@every 1s", timezone: nil, missed: "all",
                    queue: "ticks", type: "tick", payload: JobPayload(json: "{}"), priority: nil, maxAttempts: nil))

            /// The ticks made so far, oldest first (a store that cannot answer yet reads none).
            func ticks() async -> [Date] {
                let query = try? JobQuery(filter: JobFilter(customer: "acme", queue: "ticks"), limit: 1000)
                guard let query, let page = try? await store.list(query) else { return [] }
                return page.jobs.compactMap(\.scheduledFor).sorted()
            }
            /// The pid of the scheduler's leader, when one leads.
            func leader() async -> Int32? {
                guard let holder = try? await store.leader(of: "scheduler")?.holder,
                    let pid = holder.split(separator: ":").last?.split(separator: "/").first
                else { return nil }
                return Int32(pid)
            }
            /// Waits until `count` more ticks than now are made.
            func ticksGoOn(_ what: String, by count: Int = 3) async throws {
                let before = await ticks().count
                try await poll(what, timeout: .seconds(60)) { await ticks().count >= before + count }
            }

            try await ticksGoOn("the first ticks")
            for round in 1...2 {
                let pid = try #require(await leader(), "a scheduler leads")
                let doomed = try #require(processes.first { $0.process.processIdentifier == pid })
                doomed.signal(SIGKILL)
                _ = try await doomed.waitForExit()
                _ = try startServe()
                try await poll("another scheduler to lead (round \(round))", timeout: .seconds(60)) {
                    await leader().map { $0 != pid } ?? false
                }
                try await ticksGoOn("ticks after the leader was killed (round \(round))")
            }
            try await cluster.stopServer()
            try await cluster.startServer()
            try await ticksGoOn("ticks after the database restarted")
            let start = try #require(await ticks().first)
            try await poll("a minute of ticks", timeout: .seconds(120)) {
                (await ticks().last).map { $0.timeIntervalSince(start) >= 60 } ?? false
            }
            for process in processes { process.signal(SIGTERM) }
            for process in processes { _ = try await process.waitForExit() }

            let made = await ticks()
            #expect(Set(made).count == made.count, "no tick made twice")
            let gaps = zip(made, made.dropFirst()).filter { $1.timeIntervalSince($0) != 1 }
            #expect(gaps.isEmpty, "no tick lost: \(gaps.map { "\($0.0) → \($0.1)" })")
            #expect(made.count >= 61, "\(made.count) ticks")
        } catch {
            for process in processes { process.stop() }
            cli.remove()
            await cluster.remove()
            throw error
        }
        for process in processes { process.stop() }
        cli.remove()
        await cluster.remove()
    }
}
