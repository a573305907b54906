import ConveyorCore
import Foundation
import Testing

/// Parses an ISO 8601 instant such as `2026-03-29T01:00:00Z`.
func instant(_ text: String) throws -> Date {
    try Date(text, strategy: .iso8601)
}

/// Formats an instant as ISO 8601 in UTC, so failing expectations show readable times.
func iso(_ date: Date) -> String {
    date.formatted(.iso8601)
}

/// The named time zone; a missing zone fails the test instead of crashing it.
func zone(_ identifier: String) throws -> TimeZone {
    try #require(TimeZone(identifier: identifier))
}

/// The error that parsing `text` throws, or nil when it parses.
func parseError(_ text: String) -> ValidationError? {
    do {
        _ = try CronExpression(text)
        return nil
    } catch {
        return error
    }
}

/// The next `count` ticks of `expression` in the zone after the instant, formatted for comparison.
func nextTicks(_ expression: String, _ zoneName: String, after start: String, count: Int) throws -> [String] {
    let cron = try CronExpression(expression)
    return cron.nextTicks(after: try instant(start), in: try zone(zoneName), count: count).map(iso)
}
