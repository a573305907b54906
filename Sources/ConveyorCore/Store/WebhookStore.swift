/// WebhookStore holds customers' webhook endpoints, their logs of recent attempts, and the
/// dispatch cursor: how far into the job events deliveries have been made. Calls that name a
/// `customer` act only on that customer's endpoints (another's is `webhookNotFound`); nil is an
/// operator acting on any.
public protocol WebhookStore: Sendable {
    /// Registers an endpoint signing with `secret`; `customerNotFound` when the customer is not
    /// one, `tooManyWebhooks` past `WebhookEndpoint.perCustomer`. The first endpoint ever sets the
    /// dispatch cursor at the newest event, so what happens after it is delivered even if no
    /// dispatcher runs yet.
    func createWebhook(_ draft: WebhookEndpointDraft, secret: String) async throws -> WebhookEndpoint

    /// The endpoints, oldest first: a customer's, or every one.
    func webhooks(customer: String?) async throws -> [WebhookEndpoint]

    /// One endpoint; `webhookNotFound` when there is none the caller may see.
    func webhook(id: String, customer: String?) async throws -> WebhookEndpoint

    /// Applies `change` (`WebhookEndpoint.applying`).
    func updateWebhook(id: String, customer: String?, _ change: WebhookEndpointChange) async throws -> WebhookEndpoint

    /// Removes an endpoint and its log; deliveries on their way to it end at their next attempt.
    func deleteWebhook(id: String, customer: String?) async throws

    /// Makes `secret` the endpoint's, the old one signing too for `WebhookEndpoint.rotationOverlap`.
    func rotateWebhookSecret(id: String, customer: String?, to secret: String) async throws -> WebhookEndpoint

    /// Keeps an attempt in its endpoint's log (the newest `attemptLogLength`) and applies its
    /// outcome to the endpoint (`WebhookEndpoint.after`); returns the endpoint as it now is, nil
    /// when it no longer exists.
    func recordWebhookAttempt(_ attempt: WebhookAttempt) async throws -> WebhookEndpoint?

    /// An endpoint's attempts, newest first, at most `limit`.
    func webhookAttempts(endpointID: String, customer: String?, limit: Int) async throws -> [WebhookAttempt]

    /// How far deliveries have been made: the last event dispatched; nil before the first dispatch.
    func webhookCursor() async throws -> EventCursor?

    /// Enqueues `deliveries` (on the reserved queue, outside backlog quotas) and moves the cursor
    /// from `from` to `to`, in one transaction — or does nothing and returns false when the cursor
    /// is no longer at `from` (another dispatcher got there first): so each event is dispatched
    /// once, however many processes dispatch. Each customer of the deliveries gets (or keeps) a
    /// concurrency cap of `perCustomer` on `_webhooks`, so that the claim never hands out more of
    /// one customer's deliveries at once, on any host: one customer's slow endpoints hold that many
    /// delivery slots at most.
    func dispatchWebhooks(
        _ deliveries: [NewJob], from: EventCursor?, to: EventCursor, perCustomer: Int
    ) async throws -> Bool
}

extension WebhookStore {
    /// How many attempts an endpoint's log keeps.
    public static var attemptLogLength: Int { 100 }
}
