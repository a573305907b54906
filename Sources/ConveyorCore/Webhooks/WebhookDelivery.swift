import Foundation

/// WebhookDelivery is one message for one endpoint, delivered by an ordinary job of the endpoint's
/// customer on the queue `_webhooks` (a name no caller may use): so deliveries are claimed fairly
/// between customers, survive any crash, are retried with backoff, and end in the customer's
/// dead-letter queue when they keep failing. The job's payload holds the message as it is sent —
/// its body made once, when the event is dispatched — so every retry sends the same bytes under
/// the same `webhook-id`.
public struct WebhookDelivery: Sendable, Hashable, Codable {
    public static let queue = "_webhooks"
    public static let type = "webhook.delivery"
    /// The waits between attempts, 27.6 hours in all (Svix's schedule): about a day.
    public static let retryDelays: [Duration] = [
        .seconds(5), .seconds(5 * 60), .seconds(30 * 60), .seconds(2 * 3600), .seconds(5 * 3600),
        .seconds(10 * 3600), .seconds(10 * 3600),
    ]
    public static var maxAttempts: Int { retryDelays.count + 1 }

    public let endpointID: String
    /// The `webhook-id`: the event's, so an event sent to two endpoints, or twice to one, has one.
    public let messageID: String
    /// The event type (`job.completed`, …).
    public let event: String
    /// The body, byte for byte.
    public let body: String

    public init(endpointID: String, messageID: String, event: String, body: String) {
        self.endpointID = endpointID
        self.messageID = messageID
        self.event = event
        self.body = body
    }

    /// The delivery of `event` to `endpoint`.
    public init(_ event: Event, to endpoint: WebhookEndpoint) {
        var body = JSONText()
        body.string("type", event.kind.rawValue)
        body.string("timestamp", event.at.rfc3339Milliseconds)
        body.raw("data", EventResource(event: event).data)
        self.init(
            endpointID: endpoint.id, messageID: "msg_\(event.id)", event: event.kind.rawValue, body: body.closed)
    }

    /// The delivery a job of `WebhookDelivery.type` carries.
    public init(payload: JobPayload) throws {
        self = try JSONDecoder().decode(WebhookDelivery.self, from: Data(payload.text.utf8))
    }

    /// The job that delivers it, of the endpoint's customer.
    public func job(customer: String) -> NewJob {
        var payload = JSONText()
        payload.string("endpoint", endpointID)
        payload.string("webhook_id", messageID)
        payload.string("event", event)
        payload.string("body", body)
        return NewJob(
            reservedQueue: Self.queue, customer: customer, type: Self.type,
            payload: JobPayload(storedText: payload.closed), maxAttempts: Self.maxAttempts)
    }

    /// How long after failed attempt `attempt` (from 1) the next one waits.
    public static func retryDelay(afterAttempt attempt: Int) -> Duration {
        retryDelays[min(max(attempt, 1), retryDelays.count) - 1]
    }

    /// The deliveries `events` make: each event to every endpoint that wants it.
    public static func jobs(for events: [Event], endpoints: [WebhookEndpoint]) -> [NewJob] {
        let byCustomer = Dictionary(grouping: endpoints, by: \.customer)
        return events.flatMap { event in
            (byCustomer[event.customer] ?? []).filter { $0.wants(event) }.map {
                WebhookDelivery(event, to: $0).job(customer: $0.customer)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case event, body
        case endpointID = "endpoint"
        case messageID = "webhook_id"
    }
}
