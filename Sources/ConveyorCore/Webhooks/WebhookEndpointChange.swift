/// WebhookEndpointDraft is a checked request to register an endpoint: its URL passed the URL
/// rules (`WebhookURLPolicy`: the address check of a host name is the caller's, it needs DNS), its
/// event kinds exist, its queue is a queue's name.
public struct WebhookEndpointDraft: Sendable, Hashable {
    public let customer: String
    public let url: String
    public let events: [EventKind]
    public let queue: String?
    public let description: String

    /// Checks each member, naming the first wrong one; `events` nil or `["*"]` is every kind.
    public init(
        customer: String, url: String, events: [String]?, queue: String?, description: String?,
        policy: WebhookURLPolicy
    ) throws(ValidationError) {
        self.customer = try NameRules.customer(customer)
        self.url = try policy.check(url).absoluteString
        self.events = try Self.kinds(events)
        self.queue = try queue.map { name throws(ValidationError) in try NameRules.queue(name) }
        self.description = try Self.description(description ?? "")
    }

    /// The kinds named, without repeats, in the order of `EventKind`; empty for every kind.
    static func kinds(_ names: [String]?) throws(ValidationError) -> [EventKind] {
        guard let names, names != ["*"] else { return [] }
        guard !names.isEmpty else {
            throw ValidationError(field: "events", reason: "must name at least one event, or be [\"*\"] for all")
        }
        var kinds: Set<EventKind> = []
        for name in names {
            guard let kind = EventKind(rawValue: name) else {
                let known = EventKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError(field: "events", reason: "has \"\(name)\", which is none of \(known) or \"*\"")
            }
            kinds.insert(kind)
        }
        return EventKind.allCases.filter(kinds.contains)
    }

    static func description(_ text: String) throws(ValidationError) -> String {
        guard text.count <= 500 else {
            throw ValidationError(field: "description", reason: "must be at most 500 characters")
        }
        return text
    }
}

/// WebhookEndpointChange is a checked partial update of an endpoint: each member nil keeps what
/// the endpoint has (`queue`: `.some(nil)` removes the filter).
public struct WebhookEndpointChange: Sendable, Hashable {
    public let url: String?
    public let events: [EventKind]?
    public let queue: String??
    public let description: String?
    /// true enables a disabled endpoint (ending its failing streak), false disables it.
    public let enabled: Bool?

    public init(
        url: String? = nil, events: [String]? = nil, queue: String?? = nil, description: String? = nil,
        enabled: Bool? = nil, policy: WebhookURLPolicy
    ) throws(ValidationError) {
        self.url = try url.map { text throws(ValidationError) in try policy.check(text).absoluteString }
        self.events = try events.map { names throws(ValidationError) in try WebhookEndpointDraft.kinds(names) }
        switch queue {
        case .some(.some(let name)): self.queue = .some(try NameRules.queue(name))
        case .some(.none): self.queue = .some(nil)
        case .none: self.queue = nil
        }
        self.description = try description.map { text throws(ValidationError) in
            try WebhookEndpointDraft.description(text)
        }
        self.enabled = enabled
    }
}
