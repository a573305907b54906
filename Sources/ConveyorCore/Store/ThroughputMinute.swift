public import Foundation

/// ThroughputMinute is what one customer's jobs did in one minute: how many completed, how many had
/// an attempt fail (counted once, at the job's latest failure), and how many died. The dashboard
/// draws its throughput chart from these.
public struct ThroughputMinute: Sendable, Hashable {
    /// The start of the minute.
    public let minute: Date
    public let customer: String
    public var completed: Int
    public var failed: Int
    public var dead: Int

    /// Creates one customer's minute.
    public init(minute: Date, customer: String, completed: Int = 0, failed: Int = 0, dead: Int = 0) {
        self.minute = minute
        self.customer = customer
        self.completed = completed
        self.failed = failed
        self.dead = dead
    }

    /// The start of the minute `date` falls in.
    public static func start(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
    }

    /// The minutes of `kept` from `hour` up to `from`, then `fresh` (the minutes read anew from
    /// `from` on): a window moved forward without reading again the minutes already counted.
    public static func merge(
        kept: [ThroughputMinute], fresh: [ThroughputMinute], from: Date, hour: Date
    )
        -> [ThroughputMinute]
    {
        kept.filter { $0.minute >= start(of: hour) && $0.minute < from } + fresh
    }

    /// Gathers `(minute number since the epoch, customer, what, count)` rows, as the engines read
    /// them, into minutes ordered by time then customer; `what` is `completed`, `dead` or `failed`.
    public static func gather(
        _ rows: [(minute: Int64, customer: String, what: String, count: Int)]
    ) -> [ThroughputMinute] {
        var minutes: [String: ThroughputMinute] = [:]
        for row in rows {
            let key = "\(row.minute) \(row.customer)"
            var entry =
                minutes[key]
                ?? ThroughputMinute(
                    minute: Date(timeIntervalSince1970: Double(row.minute) * 60), customer: row.customer)
            switch row.what {
            case "completed": entry.completed += row.count
            case "dead": entry.dead += row.count
            default: entry.failed += row.count
            }
            minutes[key] = entry
        }
        return minutes.values.sorted { ($0.minute, $0.customer) < ($1.minute, $1.customer) }
    }
}
