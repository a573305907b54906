import ArgumentParser
import ConveyorCore
import ConveyorMaintenance
import Logging
import ServiceLifecycle

/// `conveyor monitor`: the maintenance services, as processes of their own.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Run a maintenance monitor as a process of its own.",
        subcommands: [Stale.self]
    )

    struct Stale: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rescue jobs whose worker died: running jobs whose lease expired.",
            discussion: """
                Any number may run; one is elected leader (an advisory lock on PostgreSQL, a leader row \
                with a lease on SQLite) and does the work; the others take over within --interval \
                seconds of its death. A rescued job is retried (the attempt counts as failed with \
                "lease expired: worker presumed dead"), or dead with reason stale on its last attempt.
                """)

        @Option(help: "Seconds between rescue passes, and between a follower's tries for leadership.")
        var interval: Double = 5

        @Option(help: "Seconds a lease must be expired before its job counts as stale.")
        var grace: Double = 10

        @OptionGroup var database: DatabaseOptions

        @OptionGroup var metrics: MetricsOptions

        func run() async throws {
            guard interval.isFinite, interval > 0 else {
                throw CommandFailure("--interval must be a positive number of seconds")
            }
            guard grace.isFinite, grace >= 0 else { throw CommandFailure("--grace must be zero or more seconds") }
            let opened = try await database.openEngine(mustExist: false)
            let logger = Logger(label: "conveyor.stale")
            let endpoint = try metrics.endpoint(logger: logger)
            let store = endpoint.map { MeteredJobStore(opened.store, metrics: $0.export.metrics) } ?? opened.store
            let rescuer = StaleJobRescuer(
                store: store, interval: .milliseconds(Int64(interval * 1000)),
                grace: .milliseconds(Int64(grace * 1000)),
                logger: logger)
            let group = ServiceGroup(
                services: [rescuer] + (endpoint.map { [$0.service] } ?? []),
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await failing { try await group.run() }
        }
    }
}
