public import Foundation

/// Leadership says which process leads a maintenance role, and since when. `holder` names the
/// process as `host:pid/campaign` (the campaign tells two campaigns of one process apart).
public struct Leadership: Sendable, Hashable {
    public let role: String
    public let holder: String
    public let since: Date

    /// Creates a reading.
    public init(role: String, holder: String, since: Date) {
        self.role = role
        self.holder = holder
        self.since = since
    }

    /// A name for a new campaign of this process.
    public static func newHolder() -> String {
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        let campaign = String(UInt32.random(in: .min ... .max), radix: 16)
        return "\(host):\(pid)/\(campaign)"
    }
}
