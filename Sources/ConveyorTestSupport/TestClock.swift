public import ConveyorCore
public import Foundation
import Synchronization

/// TestClock is a wall clock that only moves when a test moves it, so time-dependent behaviour
/// (leases, backoff, retention) is tested without sleeping.
public final class TestClock: WallClock {
    private let current: Mutex<Date>

    /// A clock stopped at `start` (a whole millisecond, so stored times read back equal).
    public init(start: Date = Date(unixMilliseconds: 1_800_000_000_000)) {
        current = Mutex(start.truncatedToMilliseconds)
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.adding(duration).truncatedToMilliseconds }
    }

    /// Moves the clock forward to `date`; never backwards.
    public func advance(to date: Date) {
        current.withLock { $0 = max($0, date.truncatedToMilliseconds) }
    }
}
