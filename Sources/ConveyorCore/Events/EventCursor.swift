/// EventCursor is an event's place in the stream, which orders every event of a store: compared
/// as (`major`, `minor`). SQLite numbers events as it commits them (one writer at a time), so the
/// row id alone orders them (`minor` 0). PostgreSQL commits concurrently, so a number drawn in one
/// transaction may become visible after a larger one drawn in another: there the cursor is the
/// transaction's id, then the row's, and an event is read only once every transaction with a
/// smaller id has ended — nothing can then appear behind a reader's cursor. Its text is the SSE
/// event id (`Last-Event-ID`).
public struct EventCursor: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int64
    public let minor: Int64

    public init(major: Int64, minor: Int64 = 0) {
        self.major = major
        self.minor = minor
    }

    /// Reads the text form (`123` or `4567-89`); nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let major = Int64(parts[0]), major >= 0 else { return nil }
        let minor = parts.count == 2 ? Int64(parts[1]) : 0
        guard let minor, minor >= 0 else { return nil }
        self.init(major: major, minor: minor)
    }

    public var description: String { minor == 0 ? "\(major)" : "\(major)-\(minor)" }

    public static func < (lhs: EventCursor, rhs: EventCursor) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }
}
