public import Foundation

/// WebhookEndpoint is a URL of a customer's that is told, by signed `POST`s, of the events of the
/// customer's jobs it asked for (all, or some kinds; every queue, or one). Its signing secret is
/// shown once when it is made or rotated; after a rotation the previous secret signs too until it
/// expires. An endpoint that answers 410 Gone, or fails for `WebhookEndpoint.failureLimit`
/// straight, is disabled: nothing more is sent to it until it is enabled again.
public struct WebhookEndpoint: Sendable, Hashable {
    public let id: String
    public let customer: String
    public let url: String
    /// The kinds of event delivered; empty for every kind.
    public let events: [EventKind]
    /// The only queue whose jobs' events are delivered; nil for every queue.
    public let queue: String?
    public let description: String
    public let secret: String
    /// The secret before the last rotation, still signing until `previousSecretExpiresAt`.
    public let previousSecret: String?
    public let previousSecretExpiresAt: Date?
    public let createdAt: Date
    /// When the endpoint was disabled, and why; nil while it is enabled.
    public let disabledAt: Date?
    public let disabledReason: String?
    /// When its current run of failed attempts began; nil after a success.
    public let failingSince: Date?

    /// How long an endpoint may fail without one success before it is disabled.
    public static let failureLimit = Duration.seconds(3 * 24 * 3600)
    /// How long the secret before a rotation keeps signing.
    public static let rotationOverlap = Duration.seconds(24 * 3600)
    /// The most endpoints one customer may have.
    public static let perCustomer = 100
    /// The ids' mark.
    public static let idMarker = "wh_"

    public init(
        id: String, customer: String, url: String, events: [EventKind], queue: String?, description: String,
        secret: String, previousSecret: String? = nil, previousSecretExpiresAt: Date? = nil, createdAt: Date,
        disabledAt: Date? = nil, disabledReason: String? = nil, failingSince: Date? = nil
    ) {
        self.id = id
        self.customer = customer
        self.url = url
        self.events = events
        self.queue = queue
        self.description = description
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.createdAt = createdAt
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
        self.failingSince = failingSince
    }

    /// A fresh endpoint id (`wh_` and 16 base-62 characters).
    public static func newID() -> String { APIKeySecret.newID(marker: idMarker) }

    public var isEnabled: Bool { disabledAt == nil }

    /// Whether `event` is one this endpoint is sent. A webhook delivery's own jobs record no
    /// events, so no delivery is ever about another.
    public func wants(_ event: Event) -> Bool {
        isEnabled && event.customer == customer && (queue == nil || queue == event.queue)
            && (events.isEmpty || events.contains(event.kind))
    }

    /// The secrets a delivery made at `now` is signed with: the current one, and the previous one
    /// while its overlap lasts.
    public func signingSecrets(at now: Date) -> [String] {
        guard let previousSecret, let expiry = previousSecretExpiresAt, now < expiry else { return [secret] }
        return [secret, previousSecret]
    }

    /// The endpoint after an attempt at `now` whose outcome was `outcome`: a success ends its
    /// failing streak; 410 Gone disables it; a failure starts a streak, or disables it when the
    /// streak has lasted `failureLimit`. Nil when nothing changes.
    public func after(_ outcome: WebhookOutcome, at now: Date) -> WebhookEndpoint? {
        switch outcome {
        case .delivered:
            return failingSince == nil ? nil : changed(failingSince: .some(nil))
        case .gone:
            guard isEnabled else { return nil }
            return changed(disabledAt: now, disabledReason: "the endpoint answered 410 Gone")
        case .failed:
            guard let since = failingSince else { return changed(failingSince: now) }
            guard isEnabled, now >= since.adding(Self.failureLimit) else { return nil }
            return changed(disabledAt: now, disabledReason: "every delivery failed for 3 days")
        }
    }

    /// A copy with some fields replaced.
    public func changed(
        url: String? = nil, events: [EventKind]? = nil, queue: String?? = nil, description: String? = nil,
        secret: String? = nil, previousSecret: String?? = nil, previousSecretExpiresAt: Date?? = nil,
        disabledAt: Date?? = nil, disabledReason: String?? = nil, failingSince: Date?? = nil
    ) -> WebhookEndpoint {
        WebhookEndpoint(
            id: id, customer: customer, url: url ?? self.url, events: events ?? self.events,
            queue: queue ?? self.queue, description: description ?? self.description, secret: secret ?? self.secret,
            previousSecret: previousSecret ?? self.previousSecret,
            previousSecretExpiresAt: previousSecretExpiresAt ?? self.previousSecretExpiresAt, createdAt: createdAt,
            disabledAt: disabledAt ?? self.disabledAt, disabledReason: disabledReason ?? self.disabledReason,
            failingSince: failingSince ?? self.failingSince)
    }

    /// The endpoint as `change` leaves it at `now`: enabling clears the failing streak as well.
    public func applying(_ change: WebhookEndpointChange, at now: Date) -> WebhookEndpoint {
        var endpoint = changed(
            url: change.url, events: change.events, queue: change.queue, description: change.description)
        switch change.enabled {
        case true?:
            guard !isEnabled else { break }
            endpoint = endpoint.changed(disabledAt: .some(nil), disabledReason: .some(nil), failingSince: .some(nil))
        case false?:
            guard isEnabled else { break }
            endpoint = endpoint.changed(disabledAt: now, disabledReason: "disabled by hand")
        case nil: break
        }
        return endpoint
    }

    /// The endpoint with `secret` signing from now, and its old secret until `now + rotationOverlap`.
    public func rotated(to secret: String, at now: Date) -> WebhookEndpoint {
        changed(secret: secret, previousSecret: self.secret, previousSecretExpiresAt: now.adding(Self.rotationOverlap))
    }
}
