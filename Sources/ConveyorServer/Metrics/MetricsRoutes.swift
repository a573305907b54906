import ConveyorCore
import Hummingbird
import Prometheus

/// MetricsRoutes serves `/metrics` in Prometheus's text format, in the admin group (the labels name
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

    func register(on router: RouterGroup<AdminContext>) {
        router.get("/metrics") { _, _ in
            if let health { _ = await health.report() }
            return Self.scrape(registry)
        }
    }
}
