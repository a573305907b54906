public import ConveyorCore
import Foundation
import Synchronization

/// DashboardSnapshot is everything the dashboard's live parts show, read at one moment: counts per
/// queue and customer, what is paused and capped, the customers' weights, the last hour's
/// throughput and the workers.
struct DashboardSnapshot: Sendable {
    let takenAt: Date
    let counts: [QueueCounts]
    let pauses: [Pause]
    let caps: [ConcurrencyCap]
    let customers: [Customer]
    let throughput: [ThroughputMinute]
    let workers: [Worker]
}

/// DashboardReadings reads the snapshot for every open page of one server: at most one reading
/// per `interval` — and never more often than every five times the last reading took, so that on
/// a big database (its counts read every waiting job) the dashboard keeps to a fifth of one
/// connection —, shared by all the browsers polling, however many there are. A page is answered
/// from the last snapshot while the next one is read (it is at most a reading old), so no page
/// waits on the counts but the very first.
public final class DashboardReadings: Sendable {
    public typealias Store = JobQueries & HealthReadings & PauseStore & CapStore & TenancyStore & WorkerRegistry

    let store: any Store
    let clock: any WallClock
    let interval: Duration
    private let state = Mutex<State>(State())

    struct State {
        var last: DashboardSnapshot?
        var inFlight: Task<DashboardSnapshot, any Error>?
        /// How long to keep the last snapshot: the interval, or five times the last reading.
        var keep: Duration = .zero
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

    /// The latest snapshot: the last one, starting the next reading if it is due; the first time,
    /// the reading itself.
    func current() async throws -> DashboardSnapshot {
        let now = clock.now()
        let (last, reading): (DashboardSnapshot?, Task<DashboardSnapshot, any Error>?) = state.withLock { state in
            let due =
                state.last.map { now.timeIntervalSince($0.takenAt) >= max(state.keep, interval).timeInterval } ?? true
            guard due else { return (state.last, nil) }
            if let inFlight = state.inFlight { return (state.last, inFlight) }
            state.readings += 1
            let task = Task { try await self.read(at: now) }
            state.inFlight = task
            return (state.last, task)
        }
        if let last { return last }
        return try await reading!.value
    }

    /// Takes one reading now, as a due request would, and says how long it took
    /// (`conveyor bench dashboard`).
    func timedReading() async throws -> Duration {
        let started = ContinuousClock.now
        _ = try await read(at: clock.now())
        return ContinuousClock.now - started
    }

    private func read(at now: Date) async throws -> DashboardSnapshot {
        let started = ContinuousClock.now
        let earlier = state.withLock { $0.last }
        do {
            let snapshot = try await Self.read(store, at: now, earlier: earlier)
            let took = ContinuousClock.now - started
            state.withLock { state in
                state.last = snapshot
                state.keep = took * 5
                state.inFlight = nil
            }
            return snapshot
        } catch {
            state.withLock { $0.inFlight = nil }
            throw error
        }
    }
    /// Reads a snapshot at `now`. The last hour's throughput is read in full only the first time:
    /// after that, the minutes `earlier` already counted, up to the one before the current, are
    /// kept, and only the last two minutes are read again — on a busy queue an hour of finished
    /// jobs is hundreds of thousands of rows, two minutes a thirtieth of them.
    static func read(
        _ store: any Store, at now: Date, earlier: DashboardSnapshot? = nil
    ) async throws
        -> DashboardSnapshot
    {
        let hour = now.addingTimeInterval(-3600)
        let recent = ThroughputMinute.start(of: now).addingTimeInterval(-60)
        let since = earlier == nil ? hour : max(hour, recent)
        async let counts = store.liveCounts()
        async let pauses = store.pauses()
        async let caps = store.caps()
        async let customers = store.customers()
        async let fresh = store.throughput(since: since)
        async let workers = store.workers()
        let throughput = ThroughputMinute.merge(
            kept: earlier?.throughput ?? [], fresh: try await fresh, from: since, hour: hour)
        return DashboardSnapshot(
            takenAt: now, counts: try await counts, pauses: try await pauses,
            caps: try await caps, customers: try await customers, throughput: throughput,
            workers: try await workers)
    }
}
