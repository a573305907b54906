import ConveyorCore
import Foundation
import Synchronization

/// ReadyJobs hold one queue's claimed jobs until a runner takes them, and count the runners. A
/// runner takes job after job and retires when none is left, so a busy queue keeps a task per
/// running slot instead of starting one per job.
final class ReadyJobs: Sendable {
    struct Entry: Sendable {
        let job: Job
        /// When the claim was sent, on the worker's clock: how long the job has waited, at least.
        let claimedAt: Date
    }

    private struct State {
        var entries: [Entry] = []
        var next = 0
        var runners = 0
    }

    private let state = Mutex(State())
    private let maxRunners: Int

    init(maxRunners: Int) {
        self.maxRunners = maxRunners
    }

    /// Jobs waiting for a runner.
    var waiting: Int { state.withLock { $0.entries.count - $0.next } }

    /// Hands over claimed jobs; returns how many runners the caller must start for them.
    func add(_ jobs: [Job], claimedAt: Date) -> Int {
        state.withLock { state in
            state.entries.append(contentsOf: jobs.map { Entry(job: $0, claimedAt: claimedAt) })
            let start = min(maxRunners - state.runners, state.entries.count - state.next)
            state.runners += start
            return start
        }
    }

    /// The next job for a runner. Nil retires the runner, in the same step, so that jobs added
    /// just after always find either a runner still counted or room to start one.
    func take() -> Entry? {
        state.withLock { state in
            guard state.next < state.entries.count else {
                state.runners -= 1
                state.entries.removeAll(keepingCapacity: true)
                state.next = 0
                return nil
            }
            defer { state.next += 1 }
            return state.entries[state.next]
        }
    }

    /// Takes every waiting job (shutdown hands them back unstarted).
    func takeAll() -> [Job] {
        state.withLock { state in
            defer {
                state.entries.removeAll(keepingCapacity: true)
                state.next = 0
            }
            return state.entries[state.next...].map(\.job)
        }
    }
}
