import ConveyorCore
import Hummingbird
import Prometheus

/// MetricsRoutes serves `/metrics` in Prometheus's text format, for an admin key (the labels name
/// customers and queues). Before each scrape the gauges are brought up to date from the health
/// readings (at most a second old), so a scrape reads the queues as they are.
struct MetricsRoutes {
    let registry: PrometheusCollectorRegistry
    let health: HealthMonitor?

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The registry's metrics, as a scrape answer.
    static func scrape(_ registry: PrometheusCollectorRegistry) -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    func register(on router: Router<ConveyorRequestContext>) {
        router.get("/metrics") { _, context in
            guard try context.requireCaller().isAdmin else {
                throw Problem.forbidden("metrics are for admin keys: their labels name every customer")
            }
            if let health { _ = await health.report() }
            return Self.scrape(registry)
        }
    }
}
