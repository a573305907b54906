public import ConveyorCore
public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// DeadLetterMonitor watches, on the elected leader only, what needs a person: the dead-letter
/// queue's size, jobs newly dead per customer's queue, queues whose oldest ready job waits too long,
/// and stale rescues. Every `interval` it reads the store, judges the readings
/// (`AlertConditions`), deduplicates (`AlertTracker`: a firing alert is repeated only after the
/// cooldown; a cleared one sends a resolved notice) and hands notifications to the dispatcher,
/// which never makes it wait. It runs inside `conveyor serve` and as `conveyor monitor dlq`.
public struct DeadLetterMonitor: Service {
    /// The maintenance role leadership is sought for.
    public static let role = "dlq-monitor"
    /// The most recent failures read per look; beyond it, counts are a lower bound.
    static let failuresPerLook = 10_000

    let store: any DeadLetterStore & HealthReadings & LeaderElector
    let dispatcher: AlertDispatcher
    let thresholds: AlertThresholds
    let clock: any WallClock
    let logger: Logger
    let onLook: (@Sendable ([AlertNotification]) -> Void)?

    /// Creates the monitor; `onLook` hears what each look sent (for tests and tools).
    public init(
        store: any DeadLetterStore & HealthReadings & LeaderElector, dispatcher: AlertDispatcher,
        thresholds: AlertThresholds,
        clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "conveyor.dlq"),
        onLook: (@Sendable ([AlertNotification]) -> Void)? = nil
    ) {
        self.store = store
        self.dispatcher = dispatcher
        self.thresholds = thresholds
        self.clock = clock
        self.logger = logger
        self.onLook = onLook
    }

    public func run() async throws {
        let state = Mutex((tracker: AlertTracker(), since: clock.now().adding(.zero - thresholds.interval)))
        let monitor = self
        try await LeaderLoop(role: Self.role, store: store, interval: thresholds.interval, logger: logger).run {
            let now = monitor.clock.now()
            var (tracker, since) = state.withLock { $0 }
            let sent = try await monitor.look(since: since, now: now, tracker: &tracker)
            since = now
            state.withLock { $0 = (tracker, since) }
            monitor.onLook?(sent)
        }
    }

    /// One look: read, judge, deduplicate, send. Returns what was sent.
    public func look(since: Date, now: Date, tracker: inout AlertTracker) async throws -> [AlertNotification] {
        async let deadLetters = store.deadLetterCount()
        async let failures = store.recentFailures(since: since, limit: Self.failuresPerLook)
        async let backlogs = store.backlogs()
        let dead = try await deadLetters
        let holding = AlertConditions.evaluate(
            deadLetters: dead, recentFailures: try await failures, since: since, backlogs: try await backlogs,
            thresholds: thresholds, at: now)
        let notifications = tracker.update(holding, cooldown: thresholds.cooldown, at: now)
        for notification in notifications { dispatcher.send(notification) }
        return notifications
    }
}
