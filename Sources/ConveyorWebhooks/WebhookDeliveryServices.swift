public import ConveyorCore
public import ConveyorWorker
public import Logging
public import ServiceLifecycle
import Synchronization

/// WebhookDeliveryServices are what delivers customers' webhooks in a long-running process: the
/// outbound HTTP client, the dispatcher (an elected leader turns job events into delivery jobs),
/// and a worker for the `_webhooks` queue. `concurrency` deliveries (`WEBHOOK_CONCURRENCY`,
/// default 64) run at once in the process; at most `perCustomer` of one customer's run at once in
/// the whole deployment (`WEBHOOK_CONCURRENCY_PER_CUSTOMER`, default a quarter of the
/// concurrency: a concurrency cap on the customer's `_webhooks` share, set by the dispatcher).
public struct WebhookDeliveryServices: Sendable {
    public let policy: WebhookURLPolicy
    public let concurrency: Int
    public let perCustomer: Int
    /// How long an endpoint may take to answer once connected (15 s).
    public let answerTimeout: Duration

    public init(
        policy: WebhookURLPolicy, concurrency: Int = 64, perCustomer: Int? = nil,
        answerTimeout: Duration = .seconds(15)
    ) {
        self.policy = policy
        self.concurrency = concurrency
        self.perCustomer = perCustomer ?? max(1, concurrency / 4)
        self.answerTimeout = answerTimeout
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
            store: store,
            sender: WebhookSender(http: http.client, policy: policy, clock: clock, answerTimeout: answerTimeout))
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
        let configuration = workerConfiguration(logger: logger)
        do {
            // Made once here so that a bad configuration stops the process before it starts.
            _ = try WorkerService(store: store, handlers: handlers, configuration: configuration)
        } catch {
            // A client is shut down before it goes, or AsyncHTTPClient traps.
            if given == nil { try? http.client.syncShutdown() }
            throw error
        }
        let worker = DeliveryWorker(
            store: store, handlers: handlers, configuration: configuration, logger: logger)
        return (given == nil ? [http] : []) + [
            WebhookDispatcher(store: store, perCustomer: perCustomer, logger: logger), worker,
        ]
    }
}

/// DeliveryWorker runs the `_webhooks` worker, and a new one after it fails (it cannot register
/// while the database is down), until shutdown: deliveries are part of a process that serves the
/// API, which must outlive a database that is away. Told to stop while its worker is still
/// registering (a call a database that is down answers only after the connect timeout), it
/// cancels it rather than wait; a started worker drains as any does.
final class DeliveryWorker: Service, Sendable {
    let store: any WorkerService.Store
    let handlers: JobHandlers
    let configuration: WorkerConfiguration
    let logger: Logger

    init(store: any WorkerService.Store, handlers: JobHandlers, configuration: WorkerConfiguration, logger: Logger) {
        self.store = store
        self.handlers = handlers
        self.configuration = configuration
        self.logger = logger
    }

    func run() async throws {
        var failing = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let started = Started()
            var configuration = self.configuration
            configuration.onEvent = { event in
                if case .started = event { started.value.withLock { $0 = true } }
            }
            let worker = try WorkerService(store: store, handlers: handlers, configuration: configuration)
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await worker.run() }
                    group.addTask {
                        try await gracefulShutdown()
                        // Still registering: nothing to drain.
                        if !started.value.withLock({ $0 }) { throw CancellationError() }
                        // Started: it drains by itself; this waits for it.
                        try await Task.sleep(for: .seconds(1_000_000_000))
                    }
                    try await group.next()
                    group.cancelAll()
                }
                return
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                if !failing {
                    logger.error("webhook delivery worker failed; starting it again", metadata: ["error": "\(error)"])
                }
                failing = true
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

/// Started is set once a worker has registered and begun.
final class Started: Sendable {
    let value = Mutex(false)
}
