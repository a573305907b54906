import AsyncHTTPClient
import ConveyorCore
import ConveyorMaintenance
import Logging
import ServiceLifecycle

/// DeadLetterServices is the dead-letter side of maintenance as `conveyor serve` and `conveyor
/// monitor dlq` both run it — the monitor, the dispatcher its alerts go through, and retention —
/// with their settings read before anything is opened.
struct DeadLetterServices {
    let thresholds: AlertThresholds
    let delivery: AlertDispatcher.Configuration
    let retention: RetentionPolicy
    let pruneEvery: Duration

    init(settings: Settings) throws(CommandFailure) {
        do {
            thresholds = try AlertThresholds(settings: settings)
            delivery = try AlertDispatcher.Configuration(settings: settings)
            retention = try RetentionPolicy(settings: settings)
            pruneEvery = try RetentionPruner.interval(settings: settings)
        } catch {
            throw CommandFailure(error)
        }
    }

    /// The services, the dispatcher first: a group stops its services in reverse order, so what
    /// the monitor queued is still sent.
    func services(store: any JobStore, metrics: ConveyorMetrics, http: HTTPClient, logger: Logger) -> [any Service] {
        let dispatcher = AlertDispatcher(configuration: delivery, http: http, metrics: metrics, logger: logger)
        return [
            dispatcher, DeadLetterMonitor(store: store, dispatcher: dispatcher, thresholds: thresholds, logger: logger),
            RetentionPruner(store: store, policy: retention, interval: pruneEvery, logger: logger),
        ]
    }
}
