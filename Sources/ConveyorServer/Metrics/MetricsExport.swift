public import ConveyorCore
public import Hummingbird
public import Logging
public import Prometheus

/// MetricsExport is where a process's metrics go and how they are read back: a Prometheus registry
/// and the `ConveyorMetrics` that record into it.
public struct MetricsExport: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let metrics: ConveyorMetrics

    /// A fresh registry, with buckets fit for each duration: HTTP answers from a millisecond, job runs
    /// and queue waits up to an hour.
    public static func prometheus() -> MetricsExport {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let jobs: [Duration] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
            .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
        ]
        factory.durationHistogramBuckets = [
            ConveyorMetrics.Name.httpDuration: [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .seconds(5),
            ],
            ConveyorMetrics.Name.jobRunDuration: jobs,
            ConveyorMetrics.Name.jobQueueWait: jobs,
        ]
        return MetricsExport(registry: registry, metrics: ConveyorMetrics(factory: factory))
    }
}

extension MetricsExport {
    /// A server with `/metrics` and `/livez` alone, for processes without the API (`conveyor work`,
    /// `conveyor monitor`; `/livez` is their container health check): it answers without a key, so
    /// it listens where the operator says — loopback unless told otherwise — and must not be
    /// exposed publicly.
    public func application(
        host: String, port: Int, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        let registry = self.registry
        router.get("/metrics") { _, _ in MetricsRoutes.scrape(registry) }
        router.get("/livez") { _, _ in HealthRoutes.live }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "conveyor"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
