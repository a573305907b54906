import Foundation

/// ScheduleDefinition is a schedule as JSON gives it — the body of `POST …/schedules` and an entry
/// of a `conveyor schedules apply` file — before its customer is known and its members checked
/// (`draft(customer:limits:)`). The payload is kept byte for byte.
public struct ScheduleDefinition: Decodable, Sendable, Hashable {
    public let name: String
    public let cron: String
    public let timezone: String?
    public let missed: String?
    public let queue: String
    public let type: String
    public let payload: JobPayload
    public let priority: Int?
    public let maxAttempts: Int?

    enum CodingKeys: String, CodingKey {
        case name, cron, timezone, missed, queue, type, payload, priority
        case maxAttempts = "max_attempts"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        cron = try container.decode(String.self, forKey: .cron)
        timezone = try container.decodeIfPresent(String.self, forKey: .timezone)
        missed = try container.decodeIfPresent(String.self, forKey: .missed)
        queue = try container.decode(String.self, forKey: .queue)
        type = try container.decode(String.self, forKey: .type)
        payload = try container.decodePayload(forKey: .payload)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority)
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts)
    }

    /// The checked schedule of `customer`.
    public func draft(customer: String, limits: JobLimits = .default) throws(ValidationError) -> ScheduleDraft {
        try ScheduleDraft(
            customer: customer, name: name, cron: cron, timezone: timezone, missed: missed, queue: queue, type: type,
            payload: payload, priority: priority, maxAttempts: maxAttempts, limits: limits)
    }
}
