import ArgumentParser
import ConveyorCore
import Foundation

/// `conveyor workers`: who is running jobs, and who stopped heartbeating.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "List live workers and those that stopped heartbeating in the last hour.",
        discussion: """
            A worker is live while it heartbeats (every 5 s); one silent for 15 s is listed as dead: \
            it crashed or lost the database. Workers that shut down cleanly leave the list.
            """)

    /// A worker silent for this long is dead.
    static let liveness = Duration.seconds(15)
    /// Dead workers silent for longer than this are only shown with --all.
    static let recent = Duration.seconds(3600)

    @Flag(help: "Also list workers dead for more than an hour.")
    var all = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let store = try await database.open(mustExist: true)
        let now = Date()
        let workers = try await failing { try await store.workers() }.filter {
            all || $0.lastHeartbeatAt.adding(Self.recent) > now
        }
        if json {
            let encoder = JSONEncoder.conveyor(pretty: true)
            print(String(decoding: try encoder.encode(workers), as: UTF8.self))
            return
        }
        let rows = workers.map { worker in
            [
                worker.id, worker.host, String(worker.pid), worker.queues.joined(separator: ","),
                String(worker.concurrency), String(worker.jobsRunning),
                worker.isLive(at: now, timeout: Self.liveness) ? "live" : "dead",
                "\(Int(now.timeIntervalSince(worker.lastHeartbeatAt)))s ago",
                worker.startedAt.formatted(Date.ISO8601FormatStyle()),
            ]
        }
        print(
            JobPrinter.aligned(
                [["ID", "HOST", "PID", "QUEUES", "CONCURRENCY", "RUNNING", "STATE", "LAST HEARTBEAT", "STARTED"]] + rows
            ))
        if workers.isEmpty { print("(no workers)") }
    }
}
