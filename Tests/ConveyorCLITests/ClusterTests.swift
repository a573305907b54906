import ConveyorCore
import ConveyorPostgres
import ConveyorSQLite
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
            let store = try await PostgresJobStore.open(url: url, options: .init(maximumConnections: 4))
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

        for (index, monitor) in monitors.enumerated() where index != leader { monitor.signal(SIGTERM) }
        for (index, monitor) in monitors.enumerated() where index != leader {
            #expect(try await monitor.waitForExit() == 0)
        }
        // Over the whole run there was one leader at a time: the first, then one successor.
        #expect(Self.leaderLines(monitors).reduce(0, +) == 2, "\(monitors.map(\.output))")
        await drop()
    }
}
