public import ConveyorCore
public import ConveyorWorker
public import Logging
public import ServiceLifecycle

/// WebhookDeliveryServices are what delivers customers' webhooks in a long-running process: the
/// outbound HTTP client, the dispatcher (an elected leader turns job events into delivery jobs),
/// and a worker for the `_webhooks` queue. `concurrency` deliveries (`WEBHOOK_CONCURRENCY`,
/// default 64) run at once in the process, at most `perCustomer`
/// (`WEBHOOK_CONCURRENCY_PER_CUSTOMER`, default a quarter of them) to one customer's endpoints.
public struct WebhookDeliveryServices: Sendable {
    public let policy: WebhookURLPolicy
    public let concurrency: Int
    public let perCustomer: Int

    public init(policy: WebhookURLPolicy, concurrency: Int = 64, perCustomer: Int? = nil) {
        self.policy = policy
        self.concurrency = concurrency
        self.perCustomer = perCustomer ?? max(1, concurrency / 4)
    }

    /// The settings' services: WEBHOOK_ALLOW_PRIVATE_NETWORKS, WEBHOOK_CONCURRENCY,
    /// WEBHOOK_CONCURRENCY_PER_CUSTOMER.
    public init(settings: Settings) throws(ValidationError) {
        let concurrency = try settings.integer("WEBHOOK_CONCURRENCY", in: 1...10_000) ?? 64
        self.init(
            policy: try WebhookURLPolicy(settings: settings), concurrency: concurrency,
            perCustomer: try settings.integer("WEBHOOK_CONCURRENCY_PER_CUSTOMER", in: 1...10_000))
    }

    /// The delivery handler, for a worker that takes `_webhooks` jobs among others.
    public func handler(
        store: any WebhookStore, http: OutboundHTTP, clock: any WallClock = SystemClock()
    ) -> WebhookDeliveryHandler {
        WebhookDeliveryHandler(
            store: store, sender: WebhookSender(http: http.client, policy: policy, clock: clock),
            perCustomer: perCustomer)
    }

    /// The worker's settings for the `_webhooks` queue: a delivery takes 20 s at most.
    public func workerConfiguration(logger: Logger) -> WorkerConfiguration {
        WorkerConfiguration(
            queues: [WebhookDelivery.queue: concurrency], lease: .seconds(60), handlerTimeout: .seconds(60),
            logger: logger)
    }

    /// The services in start order (a group stops them in reverse): `http` — the process's one
    /// client, made here when not given — first, so that it stops last.
    public func services(
        store: any JobStore, http given: OutboundHTTP? = nil, clock: any WallClock = SystemClock(), logger: Logger
    ) throws(ValidationError) -> [any Service] {
        let http = given ?? OutboundHTTP()
        var handlers = JobHandlers()
        handler(store: store, http: http, clock: clock).register(on: &handlers)
        let worker: WorkerService
        do {
            worker = try WorkerService(
                store: store, handlers: handlers, configuration: workerConfiguration(logger: logger))
        } catch {
            // A client is shut down before it goes, or AsyncHTTPClient traps.
            if given == nil { try? http.client.syncShutdown() }
            throw error
        }
        return (given == nil ? [http] : []) + [WebhookDispatcher(store: store, logger: logger), worker]
    }
}
