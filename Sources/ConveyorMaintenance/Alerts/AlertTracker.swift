import ConveyorCore
public import Foundation

/// AlertNotification is what is sent: an alert that fires (or fires still, after its cooldown), or
/// one whose condition cleared.
public enum AlertNotification: Sendable, Hashable {
    case firing(Alert)
    case resolved(Alert)

    public var alert: Alert {
        switch self {
        case .firing(let alert), .resolved(let alert): alert
        }
    }
}

/// AlertTracker deduplicates: per alert key, a firing alert is sent when it starts and again only
/// after `cooldown`; when its condition no longer holds, one resolved notice is sent. Pure state,
/// kept by the monitor between looks.
public struct AlertTracker: Sendable {
    private var firing: [String: (alert: Alert, notified: Date)] = [:]

    public init() {}

    /// The keys that fire now.
    public var firingKeys: Set<String> { Set(firing.keys) }

    /// What to send, given the alerts that hold `now`.
    public mutating func update(_ holding: [Alert], cooldown: Duration, at now: Date) -> [AlertNotification] {
        var notifications: [AlertNotification] = []
        var still: Set<String> = []
        for alert in holding {
            still.insert(alert.key)
            if let previous = firing[alert.key], now.timeIntervalSince(previous.notified) < cooldown.timeInterval {
                firing[alert.key] = (alert, previous.notified)
                continue
            }
            firing[alert.key] = (alert, now)
            notifications.append(.firing(alert))
        }
        for (key, entry) in firing.sorted(by: { $0.key < $1.key }) where !still.contains(key) {
            firing[key] = nil
            notifications.append(.resolved(entry.alert))
        }
        return notifications
    }
}
