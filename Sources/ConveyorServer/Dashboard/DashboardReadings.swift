public import ConveyorCore
import Foundation
import Synchronization

/// DashboardSnapshot is everything the dashboard's live parts show, read at one moment: counts per
/// queue and customer, backlogs, what is paused and capped, the customers' weights, the last hour's
/// throughput and the workers.
struct DashboardSnapshot: Sendable {
    let takenAt: Date
    let counts: [QueueCounts]
    let backlogs: [QueueBacklog]
    let pauses: [Pause]
    let caps: [ConcurrencyCap]
    let customers: [Customer]
    let throughput: [ThroughputMinute]
    let workers: [Worker]
}

/// DashboardReadings reads the snapshot for every open page of one server: at most one reading
/// per `interval`, shared by all the browsers polling, however many there are — they are told
/// what the last reading saw, never each a reading of their own. Readings in flight are joined,
/// not repeated.
public final class DashboardReadings: Sendable {
    public typealias Store = JobQueries & HealthReadings & PauseStore & CapStore & TenancyStore & WorkerRegistry

    let store: any Store
    let clock: any WallClock
    let interval: Duration
    private let state = Mutex<State>(State())

    struct State {
        var last: DashboardSnapshot?
        var inFlight: Task<DashboardSnapshot, any Error>?
        /// Readings taken so far (tests check the bound with it).
        var readings = 0
    }

    /// Readings of `store`, at most one per `interval` as `clock` tells.
    public init(store: any Store, clock: any WallClock = SystemClock(), interval: Duration = .seconds(1)) {
        self.store = store
        self.clock = clock
        self.interval = interval
    }

    /// How many readings have been taken.
    public var readingsTaken: Int { state.withLock { $0.readings } }

    /// The latest snapshot: the last one if younger than the interval, else a new one (joined if
    /// another caller is already taking it).
    func current() async throws -> DashboardSnapshot {
        let now = clock.now()
        let task: Task<DashboardSnapshot, any Error> = state.withLock { state in
            if let last = state.last, now.timeIntervalSince(last.takenAt) < interval.timeInterval {
                return Task { last }
            }
            if let inFlight = state.inFlight { return inFlight }
            state.readings += 1
            let store = self.store
            let task = Task { try await Self.read(store, at: now) }
            state.inFlight = task
            return task
        }
        do {
            let snapshot = try await task.value
            state.withLock { state in
                if state.last.map({ $0.takenAt < snapshot.takenAt }) ?? true { state.last = snapshot }
                if state.inFlight == task { state.inFlight = nil }
            }
            return snapshot
        } catch {
            state.withLock { state in if state.inFlight == task { state.inFlight = nil } }
            throw error
        }
    }

    static func read(_ store: any Store, at now: Date) async throws -> DashboardSnapshot {
        async let counts = store.counts(customer: nil)
        async let backlogs = store.backlogs()
        async let pauses = store.pauses()
        async let caps = store.caps()
        async let customers = store.customers()
        async let throughput = store.throughput(since: now.addingTimeInterval(-3600))
        async let workers = store.workers()
        return DashboardSnapshot(
            takenAt: now, counts: try await counts, backlogs: try await backlogs, pauses: try await pauses,
            caps: try await caps, customers: try await customers, throughput: try await throughput,
            workers: try await workers)
    }
}
