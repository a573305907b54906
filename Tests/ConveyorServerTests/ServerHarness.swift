import ConveyorCore
import ConveyorPostgres
import ConveyorSQLite
import ConveyorServer
import ConveyorTestSupport
import Foundation
import Hummingbird
import Logging
import MetricsTestKit
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The engines the server tests run against (see `TestEngine`).
typealias Engine = TestEngine

/// ServerHarness runs the real HTTP API on a free loopback port over a fresh store, with two
/// customers (acme, globex), a key for each and an admin key, and speaks HTTP to it with
/// URLSession.
final class ServerHarness: Sendable {
    let store: any JobStore
    let baseURL: URL
    let acmeKey: String
    let globexKey: String
    let adminKey: String
    /// The server's rate limiter, when it was started with one.
    let rateLimiter: RateLimiter?
    let health: HealthMonitor?
    /// The dashboard, when it was started with one.
    let dashboard: DashboardRoutes?
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    private let cleanup: @Sendable () async -> Void

    static func start(
        _ engine: Engine, rateLimits: RateLimiter.Configuration? = nil, health: HealthConfiguration? = nil,
        clock: any WallClock = SystemClock(), dashboard: DashboardConfiguration? = nil,
        listener: ListenerConfiguration = ListenerConfiguration(), webhooks: WebhookURLPolicy = WebhookURLPolicy()
    ) async throws -> ServerHarness {
        let (store, cleanup) = try await engine.openStore(clock: clock)
        _ = try await store.createCustomer("acme")
        _ = try await store.createCustomer("globex")
        func key(_ customer: String?) async throws -> String {
            let (key, secret) = APIKeySecret.generate(customer: customer)
            _ = try await store.createAPIKey(key)
            return secret
        }
        let acmeKey = try await key("acme")
        let globexKey = try await key("globex")
        let adminKey = try await key(nil)

        return try await serve(
            store, rateLimits: rateLimits, health: health, clock: clock, keys: (acmeKey, globexKey, adminKey),
            export: .prometheus(), dashboard: dashboard, listener: listener, webhooks: webhooks, cleanup: cleanup)
    }

    /// Serves `store`, which has customers acme and globex with these keys, and an admin key.
    static func serve(
        _ store: any JobStore, rateLimits: RateLimiter.Configuration?, health: HealthConfiguration? = nil,
        clock: any WallClock = SystemClock(), keys: (acme: String, globex: String, admin: String),
        metrics: TestMetrics = TestMetrics(), export: MetricsExport? = nil, configuredAdminKey: String? = nil,
        logger: Logger = Logger(label: "test-server"), dashboard: DashboardConfiguration? = nil,
        listener: ListenerConfiguration = ListenerConfiguration(), webhooks: WebhookURLPolicy = WebhookURLPolicy(),
        cleanup: @escaping @Sendable () async -> Void
    ) async throws -> ServerHarness {
        let rateLimiter = rateLimits.map {
            RateLimiter(
                store: store, configuration: $0, logger: logger, metrics: export?.metrics.factory ?? metrics)
        }
        let monitor = health.map {
            HealthMonitor(
                store: store, rateLimiter: rateLimiter, configuration: $0, clock: clock, metrics: export?.metrics,
                logger: logger)
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let dashboardRoutes = dashboard.map {
            DashboardRoutes(store: store, health: monitor, configuration: $0, clock: clock)
        }
        let application = try ConveyorAPI.application(
            store: store, host: "127.0.0.1", port: 0, rateLimiter: rateLimiter, health: monitor, metrics: export,
            configuredAdminKey: configuredAdminKey, dashboard: dashboardRoutes, listener: listener, webhooks: webhooks,
            logger: logger
        ) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        var services: [any Service] = [application]
        if let rateLimiter { services.append(rateLimiter) }
        if let monitor { services.append(monitor) }
        let group = ServiceGroup(services: services, logger: Logger(label: "test-server"))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next(), "the server never started listening")
        return ServerHarness(
            store: store, baseURL: URL(string: "http://127.0.0.1:\(port)")!, acmeKey: keys.acme, globexKey: keys.globex,
            adminKey: keys.admin, rateLimiter: rateLimiter, health: monitor, dashboard: dashboardRoutes, group: group,
            running: running, cleanup: cleanup)
    }

    private init(
        store: any JobStore, baseURL: URL, acmeKey: String, globexKey: String, adminKey: String,
        rateLimiter: RateLimiter?, health: HealthMonitor?, dashboard: DashboardRoutes?, group: ServiceGroup,
        running: Task<Void, any Error>, cleanup: @escaping @Sendable () async -> Void
    ) {
        self.health = health
        self.dashboard = dashboard
        self.store = store
        self.baseURL = baseURL
        self.acmeKey = acmeKey
        self.globexKey = globexKey
        self.adminKey = adminKey
        self.rateLimiter = rateLimiter
        self.group = group
        self.running = running
        self.cleanup = cleanup
    }

    func stop() async {
        await beginShutdown()
        _ = try? await running.value
        await cleanup()
    }

    /// Starts a graceful shutdown without waiting for it.
    func beginShutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// An HTTP answer.
    struct Answer: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data

        /// The body as a JSON object (or an empty one).
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }

        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }

        var contentType: String? { header("Content-Type") }
    }

    /// Sends one request; `key` nil sends no Authorization header. With `apart`, on a connection
    /// of its own (URLSession otherwise queues requests to one host behind a few long-polls).
    func send(
        _ method: String, _ path: String, key: String?, body: Data? = nil, headers: [String: String] = [:],
        apart: Bool = false
    ) async throws -> Answer {
        var request = URLRequest(url: URL(string: path, relativeTo: baseURL)!)
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let session = apart ? URLSession(configuration: .ephemeral) : URLSession.shared
        defer { if apart { session.finishTasksAndInvalidate() } }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name] = value }
        }
        return Answer(status: http.statusCode, headers: fields, body: data)
    }

    func send(
        _ method: String, _ path: String, key: String?, json: String, headers: [String: String] = [:],
        apart: Bool = false
    )
        async throws -> Answer
    {
        try await send(method, path, key: key, body: Data(json.utf8), headers: headers, apart: apart)
    }
}

/// Runs `body` with a fresh server on `engine`, stopping it afterwards whatever happens.
func withServer(
    _ engine: Engine, rateLimits: RateLimiter.Configuration? = nil, _ body: (ServerHarness) async throws -> Void
) async throws {
    let server = try await ServerHarness.start(engine, rateLimits: rateLimits)
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}
