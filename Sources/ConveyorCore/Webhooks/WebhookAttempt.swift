public import Foundation

/// WebhookAttempt is one try at delivering a message to an endpoint, as the endpoint's log of
/// recent attempts shows it: when, what came back (a status code, or the error that stopped the
/// request), and how long it took.
public struct WebhookAttempt: Sendable, Hashable, Codable {
    public let endpointID: String
    /// The delivery job.
    public let jobID: JobID
    /// The message (`webhook-id`), the same on every retry.
    public let messageID: String
    /// The event type delivered (`job.completed`, …).
    public let event: String
    /// The delivery job's attempt, from 1.
    public let attempt: Int
    public let at: Date
    /// The HTTP status the endpoint answered; nil when no answer came.
    public let statusCode: Int?
    public let latencyMilliseconds: Int
    /// Why the attempt failed (a timeout, a refused connection, a refused address, a status that
    /// is no success); nil for a success.
    public let error: String?

    public init(
        endpointID: String, jobID: JobID, messageID: String, event: String, attempt: Int, at: Date, statusCode: Int?,
        latencyMilliseconds: Int, error: String?
    ) {
        self.endpointID = endpointID
        self.jobID = jobID
        self.messageID = messageID
        self.event = event
        self.attempt = attempt
        self.at = at
        self.statusCode = statusCode
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error
    }

    /// What the attempt means for its endpoint.
    public var outcome: WebhookOutcome {
        if statusCode == 410 { return .gone }
        if let statusCode, (200..<300).contains(statusCode), error == nil { return .delivered }
        return .failed
    }

    enum CodingKeys: String, CodingKey {
        case event, attempt, at, error
        case endpointID = "endpoint_id"
        case jobID = "job_id"
        case messageID = "webhook_id"
        case statusCode = "status_code"
        case latencyMilliseconds = "latency_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(endpointID, forKey: .endpointID)
        try container.encode(jobID, forKey: .jobID)
        try container.encode(messageID, forKey: .messageID)
        try container.encode(event, forKey: .event)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(at, forKey: .at)
        // Written as null, not left out: "no answer" is part of what an attempt says.
        try container.encode(statusCode, forKey: .statusCode)
        try container.encode(latencyMilliseconds, forKey: .latencyMilliseconds)
        try container.encode(error, forKey: .error)
    }
}

/// WebhookOutcome is what an attempt means for its endpoint: a 2xx clears its failing streak, 410
/// Gone disables it at once, anything else is a failure, retried, and counted towards disabling
/// an endpoint that fails for days.
public enum WebhookOutcome: String, Sendable, Hashable, CaseIterable {
    case delivered
    case failed
    case gone
}
