import ArgumentParser
import ConveyorCore
import ConveyorMaintenance
import ConveyorServer
import ConveyorWebhooks
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `conveyor serve`: the HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API.",
        discussion: """
            Listens on HOST:PORT (default 127.0.0.1:8080). On first start with no admin key it makes \
            one and prints it once; CONVEYOR_ADMIN_KEY sets it instead. SIGTERM or SIGINT stops it \
            gracefully. Requests are rate limited per customer (per client address without a \
            key): RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW seconds (default 100 per 60), \
            RATE_LIMIT_STORE_TIMEOUT_MS before falling back to memory (default 1000), \
            TRUSTED_PROXIES whose X-Forwarded-For names the client. The dashboard is at / (sign in \
            with an API key; DASHBOARD_READ_ONLY, DASHBOARD_SESSION_HOURS, DASHBOARD_SECURE_COOKIE). /api/health, /livez, /readyz and \
            /metrics are the probes (HEALTH_* thresholds; SHUTDOWN_DRAIN_SECONDS of not-ready before \
            stopping, default 3; requests then in flight get 15 s more, so that it exits whatever the \
            database does). It also campaigns to lead the stale-job rescuer (STALE_INTERVAL_SECONDS, \
            STALE_GRACE_SECONDS) and the dead-letter monitor (ALERT_*, SLACK_WEBHOOK_URL; see conveyor \
            monitor dlq --help), unless MAINTENANCE=off. It delivers customers' webhooks \
            (WEBHOOK_CONCURRENCY, WEBHOOK_CONCURRENCY_PER_CUSTOMER, WEBHOOK_ALLOW_PRIVATE_NETWORKS) \
            unless WEBHOOK_DELIVERY=off.
            """)

    @Option(help: "The address to listen on (default: HOST, else 127.0.0.1).")
    var host: String?

    @Option(help: "The port to listen on; 0 picks a free one (default: PORT, else 8080).")
    var port: Int?

    @OptionGroup var database: DatabaseOptions

    /// How long requests in flight when the drain ends may still take before the server is cancelled.
    static let requestGrace = Duration.seconds(15)

    func validate() throws {
        if let port, !(0...65535).contains(port) {
            throw ArgumentParser.ValidationError("--port must be between 0 and 65535 (got \(port))")
        }
    }

    func run() async throws {
        // Read once: the options win over the environment, which wins over the defaults.
        let settings = Settings(options: ["HOST": host, "PORT": port.map(String.init)])
        let host = settings.text("HOST") ?? "127.0.0.1"
        let port = try await failing { try settings.integer("PORT", in: 0...65535) } ?? 8080
        let address = ListenAddress(host: host, port: port)
        try await address.check()
        let rateLimits = try await failing { try RateLimiter.Configuration(settings: settings) }
        let limits = try await failing { try JobLimits(settings: settings) }
        var dashboardConfiguration = try await failing { try DashboardConfiguration(settings: settings) }
        let listener = try await failing { try ListenerConfiguration(settings: settings) }
        // Every request to a server that speaks HTTPS came over it.
        if listener.isTLS { dashboardConfiguration.secureCookie = true }
        let maintenance = try MaintenanceServices(settings: settings)
        let webhooks = try WebhookServices(settings: settings, enabledByDefault: true)
        let configuredAdminKey = settings.text("CONVEYOR_ADMIN_KEY")
        let opened = try await database.openService(settings) { store throws(CommandFailure) in
            let shown = try await failing {
                try await AdminKeyBootstrap.ensure(store: store, configured: configuredAdminKey)
            }
            if let shown {
                FileHandle.standardOutput.write(Data("admin key (shown once, keep it): \(shown)\n".utf8))
            }
        }
        let export = MetricsExport.prometheus()
        let store = MeteredJobStore(opened.store, metrics: export.metrics)
        let health = try await failing {
            try HealthConfiguration(
                settings: settings, version: ConveyorVersion.current, leaderRole: StaleJobRescuer.role,
                pendingMigrations: { try await opened.pendingMigrations() })
        }
        let logger = Logger(label: "conveyor.serve")
        let serverLogger = logger
        let rateLimiter = RateLimiter(
            store: store, configuration: rateLimits, logger: logger, metrics: export.metrics.factory)
        let monitor = HealthMonitor(
            store: store, rateLimiter: rateLimiter, configuration: health, metrics: export.metrics, logger: logger)
        let dashboard = DashboardRoutes(store: store, health: monitor, configuration: dashboardConfiguration)
        let scheme = listener.isTLS ? "https" : "http"
        let application = try await failing {
            try ConveyorAPI.application(
                store: store, host: host, port: port, limits: limits, rateLimiter: rateLimiter, health: monitor,
                metrics: export,
                configuredAdminKey: configuredAdminKey, retention: maintenance.deadLetters.retention,
                dashboard: dashboard, listener: listener, webhooks: webhooks.policy, logger: logger
            ) { bound in
                serverLogger.info("listening", metadata: ["address": "\(host):\(bound)", "scheme": "\(scheme)"])
                // Written straight to the descriptor: scripts and tests wait for this line.
                FileHandle.standardOutput.write(Data("listening on \(scheme)://\(host):\(bound)\n".utf8))
            }
        }
        // Shut down in reverse order: readiness turns off first, the server stops last.
        // The process's one outbound client (webhooks, Slack alerts), made last, just before the
        // group that shuts it down runs: stopped after everything that sends through it.
        let http = OutboundHTTP()
        let deliveries: [any Service]
        do {
            deliveries = try webhooks.services(store: store, http: http, logger: logger)
        } catch {
            try? await http.client.shutdown()
            throw error
        }
        let services: [any Service] =
            opened.services + [http] + deliveries + [application, rateLimiter]
            + maintenance.services(store: store, metrics: export.metrics, http: http.client, logger: logger)
            + [monitor]
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        // Requests still in flight after the drain wait at most the store's connect timeout for a
        // connection (10 s): past that margin the server is cancelled rather than waited for.
        configuration.maximumGracefulShutdownDuration = health.drainDelay + Self.requestGrace
        configuration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        do {
            try await group.run()
        } catch {
            // Another process can still take the port between the check and the bind.
            throw address.explained(error) ?? CommandFailure(error)
        }
    }
}
