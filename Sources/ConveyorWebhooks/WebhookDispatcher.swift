public import ConveyorCore
import Foundation
public import Logging
public import ServiceLifecycle

/// WebhookDispatcher turns job events into deliveries: it reads the events after the dispatch
/// cursor, makes a delivery job for each endpoint that wants one (`WebhookDelivery.jobs`), and
/// enqueues them with the cursor's move in one transaction (`WebhookStore.dispatchWebhooks`). One
/// process dispatches at a time (an elected leader); a second one for a moment — a failover —
/// finds the cursor moved and makes nothing twice. Dispatching starts where the first endpoint
/// was registered (`WebhookStore.createWebhook`), else at the newest event.
public final class WebhookDispatcher: Service, Sendable {
    public static let role = "webhook-dispatcher"
    /// The longest one step of dispatching may take before it is given up and tried again.
    static let callLimit = Duration.seconds(30)
    public typealias Store = EventStore & WebhookStore & LeaderElector

    let store: any Store
    /// The cap of each customer's deliveries running at once (`WEBHOOK_CONCURRENCY_PER_CUSTOMER`).
    let perCustomer: Int
    let batch: Int
    /// How often an idle dispatcher looks for events other processes recorded.
    let pollInterval: Duration
    let logger: Logger

    public init(
        store: any Store, perCustomer: Int, batch: Int = 500, pollInterval: Duration = .milliseconds(200),
        logger: Logger
    ) {
        self.store = store
        self.perCustomer = perCustomer
        self.batch = batch
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.store.lead(Self.role, retry: .seconds(1)) {
                try await self.dispatch()
            }
        }
    }

    /// Dispatches until cancelled; a failing read or write is logged once per run of failures and
    /// tried again.
    func dispatch() async throws {
        var cursor: EventCursor?
        var failing = false
        while !Task.isCancelled {
            do {
                let ticket = store.eventsRecorded.ticket()
                // Bounded, and given up at once on shutdown: a query a dead database never
                // answers must not hold the process (see `abandoning`).
                let known = cursor
                let from = try await abandoning(after: Self.callLimit) { try await self.start(known) }
                if let next = try await abandoning(after: Self.callLimit, { try await self.pass(from) }) {
                    cursor = next
                } else {
                    cursor = from
                    _ = await store.eventsRecorded.wait(for: nil, after: ticket, timeout: pollInterval)
                }
                failing = false
            } catch is CancellationError {
                return
            } catch {
                if !failing { logger.error("webhook dispatch failed; retrying", metadata: ["error": "\(error)"]) }
                failing = true
                cursor = nil
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Where dispatching goes on from: the stored cursor, or (the first time ever) the newest event.
    func start(_ known: EventCursor?) async throws -> EventCursor {
        if let known { return known }
        if let stored = try await store.webhookCursor() { return stored }
        let newest = try await store.newestEventCursor() ?? EventCursor(major: 0)
        _ = try await store.dispatchWebhooks([], from: nil, to: newest, perCustomer: perCustomer)
        return try await store.webhookCursor() ?? newest
    }

    /// Dispatches the events after `cursor`, at most `batch`: the cursor after them (or, when
    /// another dispatcher moved it first, where that one left it), nil when there were none.
    @discardableResult
    func pass(_ cursor: EventCursor) async throws -> EventCursor? {
        let events = try await store.events(after: cursor, customer: nil, limit: batch)
        guard let last = events.last?.id else { return nil }
        let endpoints = try await store.webhooks(customer: nil).filter(\.isEnabled)
        let deliveries = WebhookDelivery.jobs(for: events, endpoints: endpoints)
        guard try await store.dispatchWebhooks(deliveries, from: cursor, to: last, perCustomer: perCustomer) else {
            return try await store.webhookCursor()
        }
        if !deliveries.isEmpty {
            logger.debug("webhook deliveries made", metadata: ["count": "\(deliveries.count)"])
        }
        return last
    }
}
