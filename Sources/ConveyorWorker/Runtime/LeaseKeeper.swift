import ConveyorCore
import Synchronization

/// LeaseKeeper is the book of a worker's running handlers and what is due for each: when its
/// lease must next be renewed and when it runs out of time. One task (`WorkerService.keepLeases`)
/// acts on it for the whole worker, instead of a watchdog task and a timer per job.
final class LeaseKeeper: Sendable {
    typealias Instant = ContinuousClock.Instant

    struct Watched: Sendable {
        let lease: Lease
        let handler: Task<AttemptEnding, Never>
        let verdict: Verdict
        let deadline: Instant
        var nextBeat: Instant
        /// A renewal is on its way; the next is planned when it returns.
        var renewing = false
        var timedOut = false

        /// When this handler next needs attention; nil while only a renewal in flight is awaited.
        var due: Instant? {
            let beat = renewing ? nil : nextBeat
            guard !timedOut, verdict.value == nil else { return beat }
            return beat.map { min($0, deadline) } ?? deadline
        }
    }

    /// What is due at one moment.
    struct Due: Sendable {
        var timedOut: [Watched] = []
        var renewals: [Watched] = []
        /// When to look again; nil when nothing is watched.
        var next: Instant?
    }

    private struct State {
        var watched: [JobID: Watched] = [:]
        /// When the keeper plans to look next; nil while it waits for something to watch.
        var wakeAt: Instant?
    }

    private let state = Mutex(State())
    /// Rung when something becomes due earlier than the keeper planned to look.
    let changed = Doorbell()

    /// Starts watching a handler.
    func watch(
        _ lease: Lease, handler: Task<AttemptEnding, Never>, verdict: Verdict, deadline: Instant, nextBeat: Instant
    ) {
        let entry = Watched(lease: lease, handler: handler, verdict: verdict, deadline: deadline, nextBeat: nextBeat)
        plan(entry.due) { $0.watched[lease.jobID] = entry }
    }

    /// Stops watching a handler: it has stopped, or its lease is gone and nothing more is renewed.
    func forget(_ jobID: JobID) {
        _ = state.withLock { $0.watched.removeValue(forKey: jobID) }
    }

    /// Marks everything due at `now` as being dealt with and says what it is.
    func takeDue(at now: Instant) -> Due {
        state.withLock { state in
            var due = Due()
            for (id, var entry) in state.watched {
                if !entry.timedOut, entry.verdict.value == nil, now >= entry.deadline {
                    entry.timedOut = true
                    due.timedOut.append(entry)
                }
                if !entry.renewing, now >= entry.nextBeat {
                    entry.renewing = true
                    due.renewals.append(entry)
                }
                state.watched[id] = entry
                if let next = entry.due { due.next = due.next.map { min($0, next) } ?? next }
            }
            state.wakeAt = due.next
            return due
        }
    }

    /// A renewal came back: the next is due at `nextBeat`.
    func renewed(_ jobID: JobID, nextBeat: Instant) {
        plan(nextBeat) { state in
            state.watched[jobID]?.renewing = false
            state.watched[jobID]?.nextBeat = nextBeat
        }
    }

    /// Applies `change`, and wakes the keeper if `due` comes before it planned to look.
    private func plan(_ due: Instant?, _ change: (inout State) -> Void) {
        let earlier = state.withLock { state -> Bool in
            change(&state)
            guard let due, state.wakeAt.map({ due < $0 }) ?? true else { return false }
            state.wakeAt = due
            return true
        }
        if earlier { changed.ringAll() }
    }
}
