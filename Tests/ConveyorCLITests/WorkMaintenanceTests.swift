import ConveyorCore
import ConveyorSQLite
import ConveyorTestSupport
import Foundation
import Testing

/// `conveyor work` campaigns for the cluster's maintenance by default, so workers alone rescue a
/// dead worker's jobs; MAINTENANCE=off and --no-maintenance opt out.
@Suite("conveyor work: maintenance in every worker")
struct WorkMaintenanceTests {
    @Test("a worker alone rescues a job whose worker died, and runs it")
    func workersAloneRescue() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let job = try await store.enqueue(
            NewJob(customer: "acme", queue: "mail", type: "t", payloadJSON: "{}")
        ).job
        // A worker that claims and dies: its lease (1 s) runs out with nobody to renew it.
        _ = try await store.claim(ClaimRequest(queues: ["mail"], lease: .seconds(1), workerID: "dead-worker"))
        let worker = try cli.start(
            ["work", "--queue", "mail", "--print"],
            environment: ["STALE_INTERVAL_SECONDS": "0.2", "STALE_GRACE_SECONDS": "0", "LOG_LEVEL": "info"])
        defer { worker.stop() }
        try await poll("the job to be rescued and completed", timeout: .seconds(30)) {
            try await store.job(id: job.id)?.state == .completed
        }
        let done = try #require(try await store.job(id: job.id))
        #expect(done.attempt == 2)
        #expect(done.errors.map(\.message) == [Job.staleErrorMessage])
        #expect(worker.output.contains("role=stale-job-rescuer [ConveyorMaintenance] became the leader"))
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
    }

    @Test("MAINTENANCE=off and --no-maintenance leave maintenance to others; a bad value is one sentence")
    func optOut() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        for (arguments, environment) in [
            (["--no-maintenance"], [String: String]()), ([], ["MAINTENANCE": "off"]),
        ] {
            let worker = try cli.start(
                ["work", "--queue", "mail", "--print"] + arguments,
                environment: environment.merging(["LOG_LEVEL": "info"]) { $1 })
            defer { worker.stop() }
            try await poll("the worker to start") { worker.output.contains("worker started") }
            worker.signal(SIGTERM)
            #expect(try await worker.waitForExit() == 0)
            #expect(!worker.output.contains("became the leader"), "\(arguments) \(environment): \(worker.output)")
        }
        let bad = try await cli.run(["work", "--queue", "mail", "--print"], environment: ["MAINTENANCE": "sometimes"])
        #expect(bad.status == 1)
        #expect(bad.stderr == "error: MAINTENANCE must be on or off (got \"sometimes\")\n")
    }
}
