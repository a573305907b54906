import ArgumentParser
import ConveyorCore
import ConveyorMaintenance
import ConveyorWebhooks
import Foundation
import Logging
import ServiceLifecycle

/// `conveyor monitor`: the maintenance services, as processes of their own.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Run a maintenance monitor as a process of its own.",
        subcommands: [Stale.self, DeadLetters.self]
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

        @Option(
            help:
                "Seconds between rescue passes, and between a follower's tries for leadership (default: STALE_INTERVAL_SECONDS, else 5)."
        )
        var interval: Double?

        @Option(
            help:
                "Seconds a lease must be expired before its job counts as stale (default: STALE_GRACE_SECONDS, else 10)."
        )
        var grace: Double?

        @OptionGroup var database: DatabaseOptions

        @OptionGroup var metrics: MetricsOptions

        func validate() throws {
            if let interval, !(interval.isFinite && interval > 0) {
                throw ArgumentParser.ValidationError("--interval must be a positive number of seconds")
            }
            if let grace, !(grace.isFinite && grace >= 0) {
                throw ArgumentParser.ValidationError("--grace must be zero or more seconds")
            }
        }

        func run() async throws {
            let settings = Settings(options: metrics.settings)
            let stale = try await failing { try StaleJobRescuer.settings(settings: settings) }
            let interval = self.interval ?? stale.interval.timeInterval
            let grace = self.grace ?? stale.grace.timeInterval
            let opened = try await database.openService(settings)
            let logger = Logger(label: "conveyor.stale")
            let endpoint = try metrics.endpoint(settings, logger: logger)
            let store = endpoint.map { MeteredJobStore(opened.store, metrics: $0.export.metrics) } ?? opened.store
            let rescuer = StaleJobRescuer(
                store: store, interval: .milliseconds(Int64(interval * 1000)),
                grace: .milliseconds(Int64(grace * 1000)),
                logger: logger)
            let group = ServiceGroup(
                services: opened.services + [rescuer] + (endpoint.map { [$0.service] } ?? []),
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await failing { try await group.run() }
        }
    }

    struct DeadLetters: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dlq",
            abstract: "Watch the dead-letter queue and alert: to Slack with SLACK_WEBHOOK_URL, else to the log.",
            discussion: """
                Rules (a number, or off): ALERT_DEAD_LETTERS (dead jobs in all, default 100), \
                ALERT_NEW_DEAD_LETTERS (jobs of one queue newly dead per interval, default 10), \
                ALERT_OLDEST_AVAILABLE_SECONDS (default 900), ALERT_STALE_RESCUES (per interval, default \
                5); DLQ_MONITOR_INTERVAL_SECONDS (default 60), ALERT_COOLDOWN_SECONDS (default 1800). \
                Any number may run; one elected leader looks. It also applies the retention policy \
                (RETENTION_*; see conveyor dlq prune --help). See docs/OPERATIONS.md.
                """)

        @OptionGroup var database: DatabaseOptions

        @OptionGroup var metrics: MetricsOptions

        func run() async throws {
            let settings = Settings(options: metrics.settings)
            let deadLetters = try DeadLetterServices(settings: settings)
            let opened = try await database.openService(settings)
            let logger = Logger(label: "conveyor.dlq")
            let endpoint = try metrics.endpoint(settings, logger: logger)
            let store = endpoint.map { MeteredJobStore(opened.store, metrics: $0.export.metrics) } ?? opened.store
            // Made last, just before the group that shuts it down runs.
            let http = OutboundHTTP()
            let group = ServiceGroup(
                services: opened.services + [http]
                    + deadLetters.services(
                        store: store, metrics: endpoint?.export.metrics ?? ConveyorMetrics(), http: http.client,
                        logger: logger)
                    + (endpoint.map { [$0.service] } ?? []),
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await failing { try await group.run() }
        }
    }
}
