public import ConveyorCore
public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// EventHub reads new job events once for this process and hands each to every subscriber whose
/// filter it matches — SSE streams, waiting requests —, so a thousand listeners cost one read,
/// not a thousand. It reads only while someone listens: when this process records events (the
/// store rings `eventsRecorded`) and otherwise every `pollInterval`, which is how events recorded
/// by other processes (another node, a `conveyor work` on the SQLite file) arrive. Reads are at
/// least `readGap` apart: a busy drain rings at every commit, and a read per commit would take
/// the database's time from the drain to find an event or two each time; a gap of a few
/// milliseconds reads the same events in a fraction of the queries, at the price of that much
/// delivery time.
public final class EventHub: Service, Sendable {
    /// Who a subscriber listens for.
    public struct Filter: Sendable {
        /// One customer's events; nil: every customer's (an admin's stream).
        public var customer: String?
        public var queues: Set<String> = []
        public var kinds: Set<EventKind> = []
        public var jobs: Set<JobID> = []

        public init(customer: String?, queues: Set<String> = [], kinds: Set<EventKind> = [], jobs: Set<JobID> = []) {
            self.customer = customer
            self.queues = queues
            self.kinds = kinds
            self.jobs = jobs
        }

        public func matches(_ event: Event) -> Bool {
            (customer == nil || customer == event.customer) && (queues.isEmpty || queues.contains(event.queue))
                && (kinds.isEmpty || kinds.contains(event.kind)) && (jobs.isEmpty || jobs.contains(event.jobID))
        }
    }

    /// A subscription: the events after `after`, as the hub reads them.
    public struct Subscription: Sendable {
        public let id: UUID
        let customer: String?
        /// Where the live events begin: the subscriber gets every matching event after it.
        public let after: EventCursor?
    }

    private struct Subscriber {
        let filter: Filter
        let deliver: @Sendable (Event) -> Void
    }

    private struct State {
        /// The subscribers of one customer's events, by customer (nil: every customer's), so that
        /// an event is matched against its own customer's subscribers only.
        var subscribers: [String?: [UUID: Subscriber]] = [:]
        var count = 0
        /// Where reading goes on from; meaningful while someone listens.
        var cursor: EventCursor?
        var listening = false
    }

    private let store: any EventStore
    private let pollInterval: Duration
    private let readGap: Duration
    private let batch: Int
    private let logger: Logger
    private let state = Mutex(State())
    private let joined = Doorbell()

    public init(
        store: any EventStore, pollInterval: Duration = .milliseconds(100), readGap: Duration = .milliseconds(20),
        batch: Int = 1000, logger: Logger
    ) {
        self.store = store
        self.pollInterval = pollInterval
        self.readGap = readGap
        self.batch = batch
        self.logger = logger
    }

    /// Starts delivering the matching events recorded from now on to `deliver` (called in stream
    /// order, and must return quickly). The subscription's `after` says where they begin.
    public func subscribe(_ filter: Filter, deliver: @escaping @Sendable (Event) -> Void) async throws -> Subscription {
        // Read outside the lock; kept only if the hub was not listening yet.
        let newest = state.withLock { $0.listening } ? nil : try await store.newestEventCursor()
        let id = UUID()
        let after = state.withLock { state -> EventCursor? in
            if !state.listening {
                state.listening = true
                state.cursor = newest
            }
            state.subscribers[filter.customer, default: [:]][id] = Subscriber(filter: filter, deliver: deliver)
            state.count += 1
            return state.cursor
        }
        joined.ringAll()
        return Subscription(id: id, customer: filter.customer, after: after)
    }

    /// Stops a subscription.
    public func unsubscribe(_ subscription: Subscription) {
        state.withLock { state in
            guard state.subscribers[subscription.customer]?.removeValue(forKey: subscription.id) != nil else { return }
            if state.subscribers[subscription.customer]?.isEmpty == true {
                state.subscribers[subscription.customer] = nil
            }
            state.count -= 1
            if state.count == 0 { state.listening = false }
        }
    }

    /// How many subscribe now.
    public var subscribers: Int { state.withLock { $0.count } }

    public func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let recorded = self.store.eventsRecorded.ticket()
                let joinedTicket = self.joined.ticket()
                guard let cursor = self.state.withLock({ $0.listening ? .some($0.cursor) : nil }) else {
                    _ = await self.joined.wait(for: nil, after: joinedTicket, timeout: nil)
                    continue
                }
                let read = ContinuousClock.now
                let events: [Event]
                do {
                    events = try await self.store.events(after: cursor, customer: nil, limit: self.batch)
                } catch {
                    self.logger.warning("reading job events failed", metadata: ["error": "\(error)"])
                    events = []
                }
                self.deliver(events, readAfter: cursor)
                if events.count == self.batch { continue }
                // Events recorded meanwhile wait for the gap; the ticket taken before the read
                // keeps them from being missed.
                do { try await Task.sleep(until: read + self.readGap) } catch { return }
                _ = await self.store.eventsRecorded.wait(
                    for: nil, after: recorded, timeout: max(.zero, self.pollInterval - self.readGap))
            }
        }
    }

    private func deliver(_ events: [Event], readAfter cursor: EventCursor?) {
        guard let last = events.last else { return }
        let subscribers = state.withLock { state -> [String?: [UUID: Subscriber]] in
            // A hub that stopped listening meanwhile, or was restarted at a newer cursor, drops
            // what it read.
            guard state.listening, state.cursor == cursor else { return [:] }
            state.cursor = last.id
            return state.subscribers
        }
        guard !subscribers.isEmpty else { return }
        for event in events {
            for subscriber in (subscribers[event.customer]?.values ?? [:].values)
            where subscriber.filter.matches(event) {
                subscriber.deliver(event)
            }
            for subscriber in (subscribers[nil]?.values ?? [:].values) where subscriber.filter.matches(event) {
                subscriber.deliver(event)
            }
        }
    }
}
