public import ConveyorCore
import Foundation
public import Hummingbird
public import Logging

/// ConveyorAPI assembles the HTTP API of `conveyor serve`: problem+json for every error, API-key
/// authentication, and the routes. `openapi.json` (served at `/openapi.json`) describes them all.
public enum ConveyorAPI {
    /// Routes reachable without a key.
    static let openPaths: Set<String> = ["/openapi.json"]

    /// The router with every route and middleware; with a rate limiter, requests are limited; with
    /// a health monitor, `/api/health`, `/livez` and `/readyz` answer.
    /// With `metrics`, requests are counted and timed and `/metrics` serves them (admin keys only).
    public static func router(
        store: any JobStore, limits: JobLimits = .default, rateLimiter: RateLimiter? = nil,
        health: HealthMonitor? = nil, metrics: MetricsExport? = nil, configuredAdminKey: String? = nil,
        retention: RetentionPolicy = .default
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
        router.add(
            middleware: APIKeyAuthenticator(
                store: store, openPaths: health == nil ? openPaths : openPaths.union(HealthRoutes.openPaths),
                rateLimiter: rateLimiter, configuredAdminKey: configuredAdminKey))
        if let rateLimiter { router.add(middleware: RateLimitMiddleware(limiter: rateLimiter)) }
        if let health { HealthRoutes(monitor: health).register(on: router) }
        if let metrics { MetricsRoutes(registry: metrics.registry, health: health).register(on: router) }
        let queues = QueueRoutes(store: store, limits: limits)
        queues.register(on: router)
        BatchRoutes(queues: queues).register(on: router)
        DeadLetterRoutes(store: store, retention: retention).register(on: router)
        AdminRoutes(store: store).register(on: router)
        JobRoutes(store: store).register(on: router)
        WorkerRoutes(store: store).register(on: router)
        methods.learn(router.routes)
        return router
    }

    /// The application listening on `host`:`port` (0 picks a free port; `onRunning` learns which).
    public static func application(
        store: any JobStore, host: String, port: Int, limits: JobLimits = .default, rateLimiter: RateLimiter? = nil,
        health: HealthMonitor? = nil, metrics: MetricsExport? = nil, configuredAdminKey: String? = nil,
        retention: RetentionPolicy = .default, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(
                store: store, limits: limits, rateLimiter: rateLimiter, health: health, metrics: metrics,
                configuredAdminKey: configuredAdminKey, retention: retention),
            configuration: .init(address: .hostname(host, port: port), serverName: "conveyor"),
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
