import ConveyorCore
import Foundation
import Synchronization

/// ReadyJobs hold one queue's claimed jobs until a runner takes them, and count the runners. A
/// runner takes job after job and retires when none is left, so a busy queue keeps a task per
/// running slot instead of starting one per job.
///
/// Customers take turns, a job each, and each customer's jobs go in claim order. The store's claim
/// already shares the queue fairly, but a worker claims ahead (`ClaimAhead`): without turns, a
/// customer's job arriving on a busy queue would be claimed behind a whole batch of another's jobs
/// claimed before it, and wait here for all of them to start.
final class ReadyJobs: Sendable {
    struct Entry: Sendable {
        let job: Job
        /// When the claim was sent, on the worker's clock: how long the job has waited, at least.
        let claimedAt: Date
    }

    private struct State {
        /// Each customer's waiting jobs, in claim order; a customer with none has no entry.
        var lines: [String: [Entry]] = [:]
        /// The customers with jobs waiting, in turn order, from `turn` on.
        var turns: [String] = []
        var turn = 0
        var waiting = 0
        var runners = 0

        mutating func append(_ entry: Entry) {
            let customer = entry.job.customer
            if lines[customer] == nil { turns.append(customer) }
            lines[customer, default: []].append(entry)
            waiting += 1
        }

        /// The next customer's first job; the customer goes to the back of the turns if it has more.
        mutating func pop() -> Entry? {
            guard turn < turns.count, var line = lines.removeValue(forKey: turns[turn]) else { return nil }
            let customer = turns[turn]
            turn += 1
            let entry = line.removeFirst()
            if !line.isEmpty {
                lines[customer] = line
                turns.append(customer)
            }
            waiting -= 1
            // The turns taken are dropped once they are most of the array.
            if turn * 2 > turns.count {
                turns.removeFirst(turn)
                turn = 0
            }
            return entry
        }
    }

    private let state = Mutex(State())
    private let maxRunners: Int

    init(maxRunners: Int) {
        self.maxRunners = maxRunners
    }

    /// Jobs waiting for a runner.
    var waiting: Int { state.withLock { $0.waiting } }

    /// Hands over claimed jobs; returns how many runners the caller must start for them.
    func add(_ jobs: [Job], claimedAt: Date) -> Int {
        state.withLock { state in
            for job in jobs { state.append(Entry(job: job, claimedAt: claimedAt)) }
            let start = min(maxRunners - state.runners, state.waiting)
            state.runners += start
            return start
        }
    }

    /// The next job for a runner. Nil retires the runner, in the same step, so that jobs added
    /// just after always find either a runner still counted or room to start one.
    func take() -> Entry? {
        state.withLock { state in
            guard let entry = state.pop() else {
                state.runners -= 1
                return nil
            }
            return entry
        }
    }

    /// Takes every waiting job (shutdown hands them back unstarted).
    func takeAll() -> [Job] {
        state.withLock { state in
            var all: [Job] = []
            while let entry = state.pop() { all.append(entry.job) }
            return all
        }
    }
}
