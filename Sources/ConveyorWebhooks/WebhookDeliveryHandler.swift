public import ConveyorCore
public import ConveyorWorker
import Foundation

/// WebhookDeliveryHandler runs the jobs of `WebhookDelivery.type`: one attempt per job attempt,
/// recorded in the endpoint's log (which ends a failing streak, or disables the endpoint after
/// 410 Gone or 3 days of failures). A 2xx or 410 completes the job; any other answer, a timeout
/// or a refused connection fails it, retried after `WebhookDelivery.retryDelays` and dead after
/// the last. An endpoint deleted or disabled meanwhile gets nothing: its delivery completes.
///
/// One customer's slow endpoints cannot hold every delivery slot: the claim hands out at most its
/// cap of its deliveries at once (`WebhookStore.dispatchWebhooks`).
public struct WebhookDeliveryHandler: Sendable {
    let store: any WebhookStore
    let sender: WebhookSender

    public init(store: any WebhookStore, sender: WebhookSender) {
        self.store = store
        self.sender = sender
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
