import ConveyorCore
import Synchronization
public import Testing

/// EventLog collects events a background service reports and lets a test wait until they show
/// what it expects — woken by each new event, never by sleeping. A wait that is not satisfied by
/// its deadline records a test issue and throws.
public final class EventLog<Event: Sendable>: Sendable {
    private let events = Mutex<[Event]>([])
    private let bell = Doorbell()

    /// An empty log.
    public init() {}

    /// Appends an event; pass this as the service's event callback.
    public func record(_ event: Event) {
        events.withLock { $0.append(event) }
        bell.ringAll()
    }

    /// Every event so far.
    public var all: [Event] { events.withLock { $0 } }

    /// Waits until `condition` holds for the events so far, and returns them.
    @discardableResult
    public func wait(
        _ what: String, timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation,
        until condition: ([Event]) -> Bool
    ) async throws -> [Event] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let ticket = bell.ticket()
            let snapshot = all
            if condition(snapshot) { return snapshot }
            try Task.checkCancellation()
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                Issue.record("timed out after \(timeout) waiting for \(what)", sourceLocation: sourceLocation)
                throw EventLogTimeout(what: what)
            }
            _ = await bell.wait(for: nil, after: ticket, timeout: remaining)
        }
    }
}

/// EventLogTimeout ends a test whose awaited events never came.
public struct EventLogTimeout: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "timed out waiting for \(what)" }
}

/// Gate holds handlers back until a test opens it, so that a test controls what is running when.
public final class Gate: Sendable {
    private let bell = Doorbell()
    private let isOpen = Mutex(false)

    /// A closed gate.
    public init() {}

    /// Lets every waiter, present and future, through.
    public func open() {
        isOpen.withLock { $0 = true }
        bell.ringAll()
    }

    /// Waits until the gate opens (or the task is cancelled).
    public func pass() async {
        let ticket = bell.ticket()
        if isOpen.withLock({ $0 }) { return }
        _ = await bell.wait(for: nil, after: ticket, timeout: nil)
    }
}
