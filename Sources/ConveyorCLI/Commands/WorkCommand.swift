import ArgumentParser
import CInspectionGuard
import ConveyorCore
import ConveyorWebhooks
import ConveyorWorker
import Foundation
import Logging
import ServiceLifecycle

/// `conveyor work -- COMMAND`: runs a program for every job it claims.
struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Run a program for every job claimed from the given queues.",
        discussion: """
            The program gets the job's payload JSON on standard input and CONVEYOR_JOB_ID, \
            CONVEYOR_JOB_TYPE, CONVEYOR_CUSTOMER, CONVEYOR_QUEUE, CONVEYOR_ATTEMPT and \
            CONVEYOR_MAX_ATTEMPTS in its environment, which is the worker's own less Conveyor's \
            secrets (DATABASE_URL, CONVEYOR_ADMIN_KEY, SLACK_WEBHOOK_URL: a program runs what \
            customers send); --pass-env NAME passes one on purpose. Exit 0 completes the job; exit \
            \(CommandJobHandler.nonRetryableExitCode) fails it for good (dead letter); any other \
            exit fails it, to be retried with backoff, with the end of its standard error as the error.

            SIGTERM or SIGINT drains: no more claims, running jobs get --shutdown-timeout seconds to \
            finish, then their programs get SIGTERM (SIGKILL after --kill-after seconds) and their \
            jobs are released to run again at once. Whatever the database does, it exits within \
            --shutdown-timeout plus --kill-after plus 5 seconds.

            With --print, no program runs: each job is printed as one JSON line \
            ({"id", "customer", "queue", "type", "attempt", "payload"}) and completed, for piping jobs \
            into other tools and for smoke tests.

            Like every long-running conveyor process, it also campaigns to lead the cluster's \
            maintenance (the stale-job rescuer, the dead-letter monitor and retention; see conveyor serve \
            --help), so workers alone still rescue a dead worker's jobs; --no-maintenance or \
            MAINTENANCE=off opts out.

            Example: conveyor work --queue mail --concurrency 4 -- ./send-email.sh
            """)

    @Option(name: .customLong("queue"), help: "A queue to take jobs from (repeat for several).")
    var queues: [String]

    @Option(help: "Only this customer's jobs.")
    var customer: String?

    @Option(help: "How many jobs of each queue run at once.")
    var concurrency: Int = 1

    @Option(help: "Seconds a job may run before its program is stopped and the attempt failed.")
    var timeout: Double = 600

    @Option(help: "Seconds a claim leases a job; renewed every third of it while the program runs.")
    var lease: Double = 30

    @Option(help: "On SIGTERM, seconds running jobs get to finish before they are stopped and released.")
    var shutdownTimeout: Double = 25

    @Option(help: "Seconds between SIGTERM and SIGKILL when a program must stop.")
    var killAfter: Double = 10

    @Option(help: "Seconds an idle queue waits before looking for jobs enqueued by other processes.")
    var pollInterval: Double = 1

    @Option(
        name: .customLong("pass-env"),
        help: "A secret setting the program gets all the same (DATABASE_URL…; repeat for several).")
    var passedEnvironment: [String] = []

    @Option(
        help: ArgumentHelp(
            "What makes the job's result: none, or stdout (the program's standard output, one JSON value).",
            valueName: "none|stdout"))
    var result = CommandJobHandler.ResultSource.none.rawValue

    @Flag(help: "Instead of running a program, print each job as a JSON line on standard output and complete it.")
    var print = false

    @Flag(help: "Do not campaign for the maintenance roles (default: MAINTENANCE, else on).")
    var noMaintenance = false

    @Flag(
        help: """
            Also deliver customers' webhooks (the _webhooks queue and the dispatcher), as serve does \
            unless WEBHOOK_DELIVERY=off (WEBHOOK_CONCURRENCY, WEBHOOK_CONCURRENCY_PER_CUSTOMER).
            """)
    var webhooks = false

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var metrics: MetricsOptions

    @Argument(parsing: .postTerminator, help: "The program and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        switch (command.isEmpty, print) {
        case (false, true): throw ArgumentParser.ValidationError("give either a program after -- or --print, not both")
        case (true, true) where result != CommandJobHandler.ResultSource.none.rawValue:
            throw ArgumentParser.ValidationError(
                "--result takes a program's output: give a program after --, not --print")
        case (true, false):
            throw ArgumentParser.ValidationError(
                "give the program to run after --, e.g. conveyor work --queue mail -- ./send-email.sh (or --print)")
        default: break
        }
        guard CommandJobHandler.ResultSource(rawValue: result) != nil else {
            throw ArgumentParser.ValidationError("--result must be none or stdout")
        }
        for name in passedEnvironment where !Settings.secrets.contains(name) {
            throw ArgumentParser.ValidationError(
                "--pass-env \(name): only a secret setting is withheld from programs "
                    + "(\(Settings.secrets.joined(separator: ", "))); every other variable is passed already")
        }
        for (option, value) in [
            ("kill-after", killAfter), ("lease", lease), ("timeout", timeout), ("shutdown-timeout", shutdownTimeout),
            ("poll-interval", pollInterval),
        ] where !(value.isFinite && value > 0) {
            throw ArgumentParser.ValidationError("--\(option) must be a positive number of seconds")
        }
    }

    func run() async throws {
        // Configuration is checked before the database is opened.
        let settings = Settings(options: metrics.settings)
        let limits = try await failing { try JobLimits(settings: settings) }
        var handlers = JobHandlers()
        if let program = command.first {
            // The programs are withheld the secrets (below); this keeps them from reading the
            // worker's own environment, which holds them, through /proc.
            conveyor_forbid_inspection()
            let handler = CommandJobHandler(
                command: program, arguments: Array(command.dropFirst()), killAfter: Self.seconds(killAfter),
                withheld: Set(Settings.secrets).subtracting(passedEnvironment),
                result: CommandJobHandler.ResultSource(rawValue: result) ?? .none,
                resultLimitBytes: limits.resultBytes)
            handlers.registerFallback { context in try await handler.run(context) }
        } else {
            handlers.registerFallback { context in JobLinePrinter.print(context.job) }
        }
        let logger = Logger(label: "conveyor.work")
        let configuration = WorkerConfiguration(
            queues: Dictionary(queues.map { ($0, concurrency) }, uniquingKeysWith: { first, _ in first }),
            customer: customer, lease: Self.seconds(lease), handlerTimeout: Self.seconds(timeout),
            shutdownTimeout: Self.seconds(shutdownTimeout),
            // Interrupted programs get --kill-after before SIGKILL, then a moment for their release;
            // with two seconds to deregister, the whole is the 5 s the help promises.
            stopGrace: Self.seconds(killAfter) + .seconds(3),
            pollInterval: Self.seconds(pollInterval), limits: limits, logger: logger)
        let maintenance = try MaintenanceServices(settings: settings, optedOut: noMaintenance)
        let delivery = try await failing { try WebhookDeliveryServices(settings: settings) }
        let endpoint = try metrics.endpoint(settings, logger: logger)
        let opened = try await database.openService(settings)
        let store: any JobStore =
            endpoint.map { MeteredJobStore(opened.store, metrics: $0.export.metrics) } ?? opened.store
        let worker = try await failing {
            try WorkerService(store: store, handlers: handlers, configuration: configuration)
        }
        // The process's one outbound client (webhooks, Slack alerts), shut down by the group.
        let http = OutboundHTTP()
        let deliveries: [any Service]
        do {
            deliveries = webhooks ? try delivery.services(store: store, http: http, logger: logger) : []
        } catch {
            try? await http.client.shutdown()
            throw CommandFailure(error)
        }
        let group = ServiceGroup(
            services: opened.services + [http] + deliveries
                + maintenance.services(
                    store: store, metrics: endpoint?.export.metrics ?? ConveyorMetrics(), http: http.client,
                    logger: logger) + [worker]
                + (endpoint.map { [$0.service] } ?? []),
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        try await failing { try await group.run() }
    }

    /// A number of seconds `validate()` has checked, as a duration.
    private static func seconds(_ value: Double) -> Duration {
        .milliseconds(Int64((value * 1000).rounded()))
    }
}

/// JobLinePrinter writes a job as one JSON line with one `write` call, so that lines from
/// concurrent jobs never interleave.
enum JobLinePrinter {
    struct Line: Encodable {
        let id: JobID
        let customer, queue, type: String
        let attempt: Int
        let payload: JobPayload
    }

    static func print(_ job: Job) {
        let line = Line(
            id: job.id, customer: job.customer, queue: job.queue, type: job.type, attempt: job.attempt,
            payload: job.payload)
        guard let data = try? JSONEncoder.conveyor().encode(line) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
