import ConveyorCore
import Foundation

/// ThroughputChart draws the last hour's throughput as an SVG the server writes: one stacked bar a
/// minute — completed, failed, dead — scaled to the busiest minute. Drawn here rather than in the
/// browser, so the page needs no charting script and the chart is there before any script runs.
struct ThroughputChart {
    static let minutes = 60
    static let width = 600
    static let height = 160
    static let bottom = 140

    /// The hour ending at the minute of `now`, from `minutes` (any customers'; summed).
    let totals: [(completed: Int, failed: Int, dead: Int)]

    init(_ minutes: [ThroughputMinute], now: Date) {
        let last = Int64((now.timeIntervalSince1970 / 60).rounded(.down))
        var totals = Array(repeating: (completed: 0, failed: 0, dead: 0), count: Self.minutes)
        for minute in minutes {
            let index = Self.minutes - 1 - Int(last - Int64((minute.minute.timeIntervalSince1970 / 60).rounded(.down)))
            guard totals.indices.contains(index) else { continue }
            totals[index].completed += minute.completed
            totals[index].failed += minute.failed
            totals[index].dead += minute.dead
        }
        self.totals = totals
    }

    var completed: Int { totals.reduce(0) { $0 + $1.completed } }
    var failed: Int { totals.reduce(0) { $0 + $1.failed } }
    var dead: Int { totals.reduce(0) { $0 + $1.dead } }

    /// The SVG element, every text in it escaped.
    var svg: String {
        let peak = max(1, totals.map { $0.completed + $0.failed + $0.dead }.max() ?? 0)
        let slot = Double(Self.width) / Double(Self.minutes)
        let scale = Double(Self.bottom - 10) / Double(peak)
        var parts: [String] = []
        let label = "Jobs per minute over the last hour: \(completed) completed, \(failed) failed, \(dead) dead"
        parts.append(
            "<svg class=\"chart\" viewBox=\"0 0 \(Self.width) \(Self.height)\" role=\"img\" aria-label=\"\(HTML.escape(label))\" xmlns=\"http://www.w3.org/2000/svg\">"
        )
        parts.append(
            "<line class=\"axis\" x1=\"0\" y1=\"\(Self.bottom)\" x2=\"\(Self.width)\" y2=\"\(Self.bottom)\"/>")
        for (index, minute) in totals.enumerated() {
            var y = Double(Self.bottom)
            let x = Double(index) * slot + 1
            for (count, kind) in [(minute.completed, "completed"), (minute.failed, "failed"), (minute.dead, "dead")]
            where count > 0 {
                let h = max(1, Double(count) * scale)
                y -= h
                let ago = Self.minutes - 1 - index
                parts.append(
                    "<rect class=\"\(kind)\" x=\"\(Self.format(x))\" y=\"\(Self.format(y))\" width=\"\(Self.format(slot - 2))\" height=\"\(Self.format(h))\"><title>\(count) \(kind), \(ago) min ago</title></rect>"
                )
            }
        }
        parts.append("<text x=\"0\" y=\"156\">60 min ago</text>")
        parts.append("<text x=\"\(Self.width)\" y=\"156\" text-anchor=\"end\">now</text>")
        parts.append("<text x=\"4\" y=\"12\">\(peak) / min</text>")
        parts.append("</svg>")
        return parts.joined()
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// HTML escapes text for the few places the server writes markup itself (the chart); templates
/// escape everything they are given.
enum HTML {
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
