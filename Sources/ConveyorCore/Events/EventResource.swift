import Foundation

/// EventResource is a job event as its stream's `data` and a webhook's `data` show it: what
/// happened, to which job, the state it left the job in, and what the customer needs of it — the result of `job.completed`, the error and the next run of
/// `job.failed`, the error of `job.dead`, the report of `job.progress`; results and reports byte
/// for byte as the worker sent them.
public struct EventResource: Encodable, Sendable {
    public let event: Event

    public init(event: Event) {
        self.event = event
    }

    enum CodingKeys: String, CodingKey {
        case id, event, at, customer, queue, type, attempt, result, progress, error, state
        case jobID = "job_id"
        case runAt = "run_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event.id.description, forKey: .id)
        try container.encode(event.kind.rawValue, forKey: .event)
        try container.encode(event.at, forKey: .at)
        try container.encode(event.jobID, forKey: .jobID)
        try container.encode(event.customer, forKey: .customer)
        try container.encode(event.queue, forKey: .queue)
        try container.encode(event.type, forKey: .type)
        try container.encode(event.attempt, forKey: .attempt)
        try container.encode(event.jobState, forKey: .state)
        switch event.kind {
        case .completed: try container.encode(event.result, forKey: .result)
        case .progress: try container.encodeIfPresent(event.detail.map(JobPayload.init(storedText:)), forKey: .progress)
        case .failed:
            try container.encodeIfPresent(event.detail, forKey: .error)
            try container.encodeIfPresent(event.runAt, forKey: .runAt)
        case .dead: try container.encodeIfPresent(event.detail, forKey: .error)
        case .enqueued: try container.encodeIfPresent(event.runAt, forKey: .runAt)
        case .started, .cancelled: break
        }
    }

    /// The event in the `text/event-stream` format: its id, its name, its data on one line.
    public func serverSentEvent() -> String {
        "id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: \(data)\n\n"
    }

    /// The event's JSON, as `encode(to:)` makes it — written by hand: an event goes to every
    /// stream that follows it, and Foundation's encoder was most of a stream's cost. Members in
    /// the encoder's sorted order; `EventResourceTests` holds the two to the same bytes.
    public var data: String {
        var json = JSONText()
        json.string("at", event.at.rfc3339Milliseconds)
        json.integer("attempt", event.attempt)
        json.string("customer", event.customer)
        switch event.kind {
        case .failed, .dead: if let detail = event.detail { json.string("error", detail) }
        default: break
        }
        json.string("event", event.kind.rawValue)
        json.string("id", event.id.description)
        json.string("job_id", event.jobID.description)
        if event.kind == .progress, let detail = event.detail { json.raw("progress", detail) }
        json.string("queue", event.queue)
        if event.kind == .completed { json.raw("result", event.result?.text ?? "null") }
        if [.failed, .enqueued].contains(event.kind), let runAt = event.runAt {
            json.string("run_at", runAt.rfc3339Milliseconds)
        }
        json.string("state", event.jobState.rawValue)
        json.string("type", event.type)
        return json.closed
    }
}
