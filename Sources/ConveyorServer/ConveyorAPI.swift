public import ConveyorCore
import Foundation
public import Hummingbird
import HummingbirdCore
public import Logging

/// ConveyorAPI assembles the HTTP API of `conveyor serve`: problem+json for every error, and the
/// routes in four router groups that decide who may call them — no list of paths does:
/// - *open*: `/openapi.json`, `/livez`, `/readyz`, answered to anyone;
/// - *monitoring*: `/api/health` (anyone; details for an admin key) and `/metrics` (admin keys),
///   their keys looked up on a best-effort basis so they answer with the database gone; limited
///   only for a refused key (the client address's quota), never for no key or a good one;
/// - *api*: everything else under `/api`, whose requests are refused with 401 unless their key is
///   accepted (`CallerContext`), and rate limited: requests spend the customer's request quota,
///   workers' claims its worker quota, and heartbeats, completions and failures nothing;
/// - *admin*: the part of the api group that acts across customers, 403 to customer keys
///   (`AdminContext`);
/// - *dashboard*: the web pages at `/`, signed in with a key and then a session cookie
///   (`DashboardRoutes`).
/// `openapi.json` (served at `/openapi.json`) describes them all.
public enum ConveyorAPI {
    /// The router with every route and middleware; with `enqueues` and `completions` (which the
    /// caller runs), single enqueues and lease completions are group-committed; with `progress`
    /// (which the caller runs), HTTP workers' progress reports are coalesced; with a rate limiter, requests are limited; with
    /// a health monitor, `/api/health`, `/livez` and `/readyz` answer.
    /// With `metrics`, requests are counted and timed and `/metrics` serves them (admin keys only).
    public static func router(
        store: any JobStore, limits: JobLimits = .default, rateLimiter: RateLimiter? = nil,
        health: HealthMonitor? = nil, metrics: MetricsExport? = nil, configuredAdminKey: String? = nil,
        retention: RetentionPolicy = .default, enqueues: GroupCommit<NewJob, Job>? = nil,
        completions: GroupCommit<Completion, Job>? = nil, progress: ProgressWriter? = nil, events: EventHub? = nil,
        dashboard: DashboardRoutes? = nil,
        claimWaitersPerCustomer: Int = ListenerConfiguration.defaultClaimWaitersPerCustomer,
        webhooks: WebhookURLPolicy = WebhookURLPolicy()
    ) -> Router<ConveyorRequestContext> {
        let router = Router(context: ConveyorRequestContext.self)
        if let metrics { router.add(middleware: HTTPMetricsMiddleware(metrics: metrics.metrics)) }
        let methods = RouteMethods()
        router.add(middleware: ProblemMiddleware(methods: methods))

        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.data)))
        }

        let monitoring = router.group().add(
            middleware: APIKeyAuthenticator(
                store: store, lookup: .bestEffort(within: health?.configuration.keyLookup ?? .seconds(1)),
                configuredAdminKey: configuredAdminKey))
        if let rateLimiter {
            monitoring.add(middleware: RateLimitMiddleware(limiter: rateLimiter, scope: .refusedKeys))
        }
        if let health { HealthRoutes(monitor: health).register(open: router, monitoring: monitoring) }
        if let metrics {
            MetricsRoutes(registry: metrics.registry, health: health).register(
                on: monitoring.group(context: CallerContext.self).group(context: AdminContext.self))
        }

        let api = router.group("api")
        let requests = api.group().add(
            middleware: APIKeyAuthenticator(
                store: store, lookup: .exact(rateLimiter: rateLimiter), configuredAdminKey: configuredAdminKey))
        if let rateLimiter { requests.add(middleware: RateLimitMiddleware(limiter: rateLimiter)) }
        let keyed = requests.group(context: CallerContext.self)
        let admin = keyed.group(context: AdminContext.self)
        let queues = QueueRoutes(store: store, limits: limits, enqueues: enqueues)
        queues.register(on: keyed)
        BatchRoutes(queues: queues).register(on: keyed)
        DeadLetterRoutes(store: store, retention: retention).register(on: keyed, admin: admin)
        AdminRoutes(store: store).register(on: admin.group("admin"))
        PauseRoutes(queues: queues, store: store).register(on: keyed, admin: admin)
        CapRoutes(store: store).register(on: admin)
        WebhookRoutes(queues: queues, store: store, policy: webhooks).register(on: keyed, admin: admin)
        ScheduleRoutes(queues: queues, store: store, limits: limits).register(on: keyed, admin: admin)
        CallerRoutes().register(on: keyed)
        JobRoutes(store: store, hub: events).register(on: keyed)
        let stream = events.map { EventStream(store: store, hub: $0) }
        if let stream { EventRoutes(stream: stream, queues: queues).register(on: keyed, admin: admin) }
        // Workers spend a quota of their own on claims and none on their leases, so the API's
        // request quota never throttles how fast a customer's workers get through its jobs.
        func workerGroup(_ scope: RateLimitMiddleware.Scope) -> RouterGroup<CallerContext> {
            let group = api.group().add(
                middleware: APIKeyAuthenticator(
                    store: store, lookup: .exact(rateLimiter: nil), configuredAdminKey: configuredAdminKey))
            if let rateLimiter { group.add(middleware: RateLimitMiddleware(limiter: rateLimiter, scope: scope)) }
            return group.group(context: CallerContext.self)
        }
        WorkerRoutes(
            store: store, waiters: ClaimWaiters(limit: claimWaitersPerCustomer), limits: limits,
            completions: completions, progress: progress
        )
        .register(
            claims: workerGroup(.claims), leases: workerGroup(.leases))
        dashboard?.register(on: router, rateLimiter: rateLimiter, events: stream)

        methods.learn(router.routes)
        return router
    }

    /// The application listening on `host`:`port` (0 picks a free port; `onRunning` learns which),
    /// its connections bounded by `listener`, over TLS when it says so. A certificate or key that
    /// cannot be read is a `ValidationError` naming its setting.
    public static func application(
        store: any JobStore, host: String, port: Int, limits: JobLimits = .default, rateLimiter: RateLimiter? = nil,
        health: HealthMonitor? = nil, metrics: MetricsExport? = nil, configuredAdminKey: String? = nil,
        retention: RetentionPolicy = .default, dashboard: DashboardRoutes? = nil,
        listener: ListenerConfiguration = ListenerConfiguration(), webhooks: WebhookURLPolicy = WebhookURLPolicy(),
        logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws(ValidationError) -> some ApplicationProtocol {
        // Run by the application after its server has stopped, so enqueues and completions in
        // flight are written.
        let enqueues = QueueRoutes.groupCommit(store)
        let completions = WorkerRoutes.groupCommit(store)
        let progress = ProgressWriter(store: store, logger: logger)
        let events = EventHub(store: store, logger: logger)
        return Application(
            router: router(
                store: store, limits: limits, rateLimiter: rateLimiter, health: health, metrics: metrics,
                configuredAdminKey: configuredAdminKey, retention: retention, enqueues: enqueues,
                completions: completions, progress: progress, events: events, dashboard: dashboard,
                claimWaitersPerCustomer: listener.claimWaitersPerCustomer, webhooks: webhooks),
            server: try listener.server(),
            configuration: .init(
                address: .hostname(host, port: port), serverName: "conveyor",
                availableConnectionsDelegate: MaximumAvailableConnections(listener.maximumConnections)),
            services: [enqueues, completions, progress, events],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

/// OpenAPIDocument is the API's OpenAPI 3.1 description, bundled as a resource.
enum OpenAPIDocument {
    static let data: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { return Data("{}".utf8) }
        return data
    }()
}
