public import Foundation

/// WallClock is where every component reads the current time, so that tests can move time by hand
/// instead of sleeping (see `TestClock` in ConveyorTestSupport).
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// SystemClock reads the operating system's wall clock.
public struct SystemClock: WallClock {
    /// Creates the system clock.
    public init() {}

    public func now() -> Date { Date() }
}

extension Date {
    /// Milliseconds since the Unix epoch, truncated; the precision every store keeps times in. A
    /// time less than a microsecond short of a millisecond is that millisecond: the double nearest
    /// to a whole millisecond (`init(unixMilliseconds:)`) can lie just below it, and plain
    /// truncation then gave the millisecond before (946,684,799,999 read back as …998).
    public var unixMilliseconds: Int64 {
        let milliseconds = timeIntervalSince1970 * 1000
        let whole = milliseconds.rounded(.down)
        return Int64(milliseconds - whole > 0.999 ? whole + 1 : whole)
    }

    /// The date at the given number of milliseconds since the Unix epoch.
    public init(unixMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(unixMilliseconds) / 1000)
    }

    /// This date truncated to whole milliseconds, so a value written to a store reads back equal.
    public var truncatedToMilliseconds: Date {
        Date(unixMilliseconds: unixMilliseconds)
    }

    /// This date moved by a duration.
    public func adding(_ duration: Duration) -> Date {
        addingTimeInterval(duration.timeInterval)
    }
}

extension Duration {
    /// The duration in (fractional) seconds, for arithmetic with `Date`.
    public var timeInterval: TimeInterval {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// The duration in (fractional) milliseconds, for reports.
    public var milliseconds: Double { timeInterval * 1000 }
}
