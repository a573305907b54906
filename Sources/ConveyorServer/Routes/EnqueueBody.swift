import ConveyorCore
import Foundation

/// EnqueueBody is the JSON a client sends to enqueue one job.
struct EnqueueBody: Decodable, Sendable {
    let queue: String
    let type: String
    let payload: JobPayload
    let runAt: Date?
    let delaySeconds: Double?
    let priority: Int?
    let maxAttempts: Int?

    enum CodingKeys: String, CodingKey {
        case queue, type, payload, priority
        case runAt = "run_at"
        case delaySeconds = "delay_seconds"
        case maxAttempts = "max_attempts"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        queue = try container.decode(String.self, forKey: .queue)
        type = try container.decode(String.self, forKey: .type)
        payload = try container.decodePayload(forKey: .payload)
        runAt = try container.decodeIfPresent(Date.self, forKey: .runAt)
        delaySeconds = try container.decodeIfPresent(Double.self, forKey: .delaySeconds)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority)
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts)
    }

    /// A digest of everything the request asks for, the payload in its canonical spelling: equal
    /// requests, equal fingerprints, however their JSON was spelled (member order, white space,
    /// escapes).
    func fingerprint() throws -> String {
        struct Asked: Encodable {
            let queue: String, type: String, payload: String
            let runAt: Date?, delaySeconds: Double?, priority: Int?, maxAttempts: Int?
        }
        let asked = Asked(
            queue: queue, type: type, payload: payload.canonicalText, runAt: runAt, delaySeconds: delaySeconds,
            priority: priority, maxAttempts: maxAttempts)
        return RequestIdempotency.fingerprint(
            of: String(decoding: try JSONEncoder.conveyor().encode(asked), as: UTF8.self))
    }

    /// The validated job for `customer`.
    func newJob(customer: String, limits: JobLimits) throws -> NewJob {
        let start: NewJob.Start
        switch (runAt, delaySeconds) {
        case (.some, .some):
            throw ValidationError(field: "run_at", reason: "cannot be given together with delay_seconds")
        case (.some(let date), nil): start = .at(date)
        case (nil, .some(let seconds)):
            // Checked here too, before the conversion: a huge number would overflow it.
            guard seconds.isFinite, seconds >= 0 else {
                throw ValidationError(field: "delay_seconds", reason: "must not be negative (got \(seconds))")
            }
            guard seconds <= limits.maxDelay.timeInterval else {
                throw ValidationError(
                    field: "delay_seconds", reason: "must be at most \(Int(limits.maxDelay.timeInterval)) seconds")
            }
            start = .after(.milliseconds(Int64((seconds * 1000).rounded())))
        case (nil, nil): start = .now
        }
        try payload.checkSize(limitBytes: limits.payloadBytes)
        return try NewJob(
            customer: customer, queue: queue, type: type, payload: payload,
            priority: priority ?? 0, start: start, maxAttempts: maxAttempts ?? NewJob.defaultMaxAttempts,
            limits: limits)
    }
}
