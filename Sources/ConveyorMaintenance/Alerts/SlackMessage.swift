import ConveyorCore
public import Foundation

/// SlackMessage is a notification as a Slack incoming-webhook payload: `text` (the fallback shown in
/// notifications and by clients without blocks) and `blocks` — a header, the rule and where, the
/// counts, the most frequent errors, and how to replay.
public enum SlackMessage {
    public static func payload(for notification: AlertNotification, service: String = "Conveyor") -> Data {
        let alert = notification.alert
        let resolved: Bool
        if case .resolved = notification { resolved = true } else { resolved = false }
        let title =
            resolved ? "Resolved: \(alert.rule.rawValue) in \(alert.scope)" : "\(alert.rule.rawValue) in \(alert.scope)"
        let text =
            resolved
            ? "[\(service)] resolved: \(alert.rule.rawValue) in \(alert.scope) no longer holds"
            : "[\(service)] \(alert.summary)"
        var blocks: [JSONValue] = [
            .object(["type": .string("header"), "text": plain((resolved ? "✅ " : "🚨 ") + title)]),
            .object([
                "type": .string("section"),
                "text": markdown(resolved ? "The condition cleared. Last seen: \(alert.summary)." : alert.summary),
                "fields": .array([
                    markdown("*Rule*\n`\(alert.rule.rawValue)`"),
                    markdown("*Where*\n\(alert.scope)"),
                    markdown("*Observed*\n\(JSONValue.text(of: alert.observed)) \(alert.unit)"),
                    markdown("*Threshold*\n\(JSONValue.text(of: alert.threshold)) \(alert.unit)"),
                ]),
            ]),
        ]
        if !alert.topErrors.isEmpty, !resolved {
            let errors = alert.topErrors.map { "• " + escaped($0) }.joined(separator: "\n")
            blocks.append(.object(["type": .string("section"), "text": markdown("*Top errors*\n\(errors)")]))
        }
        if let replay = alert.replayCommand, !resolved {
            blocks.append(
                .object([
                    "type": .string("context"),
                    "elements": .array([markdown("To replay: `\(replay)` — see docs/OPERATIONS.md")]),
                ]))
        }
        let payload = JSONValue.object(["text": .string(text), "blocks": .array(blocks)])
        return (try? JSONEncoder.conveyor().encode(payload)) ?? Data()
    }

    private static func plain(_ text: String) -> JSONValue {
        .object(["type": .string("plain_text"), "text": .string(String(text.prefix(150)))])
    }

    private static func markdown(_ text: String) -> JSONValue {
        .object(["type": .string("mrkdwn"), "text": .string(String(text.prefix(3000)))])
    }

    /// Slack's mrkdwn needs &, < and > escaped.
    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
