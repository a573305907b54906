import ConveyorCore
import ConveyorWebhooks
import ConveyorWorker
import Logging
import ServiceLifecycle

/// WebhookServices deliver customers' webhooks from a long-running process: the outbound HTTP
/// client, the dispatcher (an elected leader turns job events into delivery jobs), and a worker
/// for the `_webhooks` queue. Every `serve` runs them unless `WEBHOOK_DELIVERY=off`; `conveyor
/// work --webhooks` runs them beside its own jobs. `WEBHOOK_CONCURRENCY` (default 64) deliveries
/// run at once in a process, at most `WEBHOOK_CONCURRENCY_PER_CUSTOMER` (default a quarter of
/// them) to one customer; `WEBHOOK_ALLOW_PRIVATE_NETWORKS=true` lets them reach private
/// addresses (development and tests only).
struct WebhookServices {
    let enabled: Bool
    let policy: WebhookURLPolicy
    let concurrency: Int
    let perCustomer: Int
    /// The process's one outbound HTTP client, which the Slack alerts share.
    let http = OutboundHTTP()

    /// Reads the settings; `enabledByDefault` is the command's default (serve: on).
    init(settings: Settings, enabledByDefault: Bool) throws(CommandFailure) {
        switch settings.text("WEBHOOK_DELIVERY")?.lowercased() {
        case nil: enabled = enabledByDefault
        case "on": enabled = true
        case "off": enabled = false
        case let other?: throw CommandFailure("WEBHOOK_DELIVERY must be on or off (got \(other.debugDescription))")
        }
        do {
            policy = try WebhookURLPolicy(settings: settings)
            concurrency = try settings.integer("WEBHOOK_CONCURRENCY", in: 1...10_000) ?? 64
            perCustomer =
                try settings.integer("WEBHOOK_CONCURRENCY_PER_CUSTOMER", in: 1...10_000) ?? max(1, concurrency / 4)
        } catch {
            throw CommandFailure(error)
        }
    }

    /// The delivery handler, for a worker that takes `_webhooks` jobs among others.
    func handler(store: any WebhookStore) -> WebhookDeliveryHandler {
        WebhookDeliveryHandler(
            store: store, sender: WebhookSender(http: http.client, policy: policy), perCustomer: perCustomer)
    }

    /// The services, in start order (a group stops them in reverse): the client first, so that it
    /// stops last. Just the client when delivery is off.
    func services(store: any JobStore, logger: Logger) throws(CommandFailure) -> [any Service] {
        guard enabled else { return [http] }
        var handlers = JobHandlers()
        handler(store: store).register(on: &handlers)
        let configuration = WorkerConfiguration(
            queues: [WebhookDelivery.queue: concurrency], lease: .seconds(60), handlerTimeout: .seconds(60),
            logger: logger)
        let worker: WorkerService
        do {
            worker = try WorkerService(store: store, handlers: handlers, configuration: configuration)
        } catch {
            // A client is shut down before it goes, or AsyncHTTPClient traps.
            try? http.client.syncShutdown()
            throw CommandFailure(error)
        }
        return [http, WebhookDispatcher(store: store, logger: logger), worker]
    }
}
