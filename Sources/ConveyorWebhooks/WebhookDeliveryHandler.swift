public import ConveyorCore
public import ConveyorWorker
import Foundation
import Synchronization

/// WebhookDeliveryHandler runs the jobs of `WebhookDelivery.type`: one attempt per job attempt,
/// recorded in the endpoint's log (which ends a failing streak, or disables the endpoint after
/// 410 Gone or 3 days of failures). A 2xx or 410 completes the job; any other answer, a timeout
/// or a refused connection fails it, retried after `WebhookDelivery.retryDelays` and dead after
/// the last. An endpoint deleted or disabled meanwhile gets nothing: its delivery completes.
///
/// One customer's slow endpoint must not hold every delivery slot of the process: a customer
/// holds at most `perCustomer` of them at once, and its next delivery waits a second (snoozed,
/// its attempt given back) while it has that many.
public struct WebhookDeliveryHandler: Sendable {
    let store: any WebhookStore
    let sender: WebhookSender
    let slots: CustomerSlots

    public init(store: any WebhookStore, sender: WebhookSender, perCustomer: Int) {
        self.store = store
        self.sender = sender
        self.slots = CustomerSlots(limit: perCustomer)
    }

    /// Registers the handler.
    public func register(on handlers: inout JobHandlers) {
        handlers.register(WebhookDelivery.type) { (context: JobContext) -> JobPayload in
            try await run(context.job)
        }
    }

    func run(_ job: Job) async throws -> JobPayload {
        let delivery: WebhookDelivery
        do {
            delivery = try WebhookDelivery(payload: job.payload)
        } catch {
            throw NonRetryableError("not a webhook delivery: \(error)")
        }
        let endpoint: WebhookEndpoint
        do {
            endpoint = try await store.webhook(id: delivery.endpointID, customer: job.customer)
        } catch JobStoreError.webhookNotFound {
            return JobPayload(storedText: #"{"skipped":"the endpoint was deleted"}"#)
        }
        guard endpoint.isEnabled else {
            return JobPayload(storedText: #"{"skipped":"the endpoint is disabled"}"#)
        }
        guard slots.take(job.customer) else { throw JobSnooze(for: .seconds(1)) }
        defer { slots.give(job.customer) }
        let attempt = await sender.send(delivery, to: endpoint, job: job)
        _ = try await store.recordWebhookAttempt(attempt)
        switch attempt.outcome {
        case .delivered, .gone:
            var result = JSONText()
            result.integer("status_code", attempt.statusCode ?? 0)
            result.integer("latency_ms", attempt.latencyMilliseconds)
            return JobPayload(storedText: result.closed)
        case .failed:
            throw JobRetry(
                after: WebhookDelivery.retryDelay(afterAttempt: job.attempt),
                message: attempt.error ?? "the delivery failed")
        }
    }
}

/// CustomerSlots counts the deliveries each customer has in flight in this process.
final class CustomerSlots: Sendable {
    let limit: Int
    private let held = Mutex<[String: Int]>([:])

    init(limit: Int) {
        self.limit = max(limit, 1)
    }

    /// Takes one of `customer`'s slots; false when it holds all it may.
    func take(_ customer: String) -> Bool {
        held.withLock { held in
            guard held[customer, default: 0] < limit else { return false }
            held[customer, default: 0] += 1
            return true
        }
    }

    func give(_ customer: String) {
        held.withLock { held in
            let left = held[customer, default: 1] - 1
            held[customer] = left > 0 ? left : nil
        }
    }
}
