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
    /// Milliseconds since the Unix epoch; the precision every store keeps times in.
    public var unixMilliseconds: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded(.down))
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
