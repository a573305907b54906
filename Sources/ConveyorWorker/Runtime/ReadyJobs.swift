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

    /// One customer's waiting jobs, in claim order.
    private struct Line {
        var entries: [Entry] = []
        var next = 0
        var isEmpty: Bool { next == entries.count }
    }

    private struct State {
        var lines: [String: Line] = [:]
        /// The customers with jobs waiting, in turn order; `turn` is the head.
        var turns: [String] = []
        var turn = 0
        var waiting = 0
        var runners = 0

        mutating func append(_ entry: Entry) {
            let customer = entry.job.customer
            if lines[customer, default: Line()].isEmpty { turns.append(customer) }
            lines[customer, default: Line()].entries.append(entry)
            waiting += 1
        }

        /// The head customer's next job; the customer goes to the back of the turns if it has more.
        mutating func pop() -> Entry? {
            guard turn < turns.count else { return nil }
            let customer = turns[turn]
            turn += 1
            guard var line = lines.removeValue(forKey: customer) else { return nil }
            let entry = line.entries[line.next]
            line.next += 1
            if line.isEmpty {
                // Kept (emptied) so that a busy customer's line is not reallocated for every job.
                line.entries.removeAll(keepingCapacity: true)
                line.next = 0
            } else {
                turns.append(customer)
            }
            lines[customer] = line
            waiting -= 1
            if turn == turns.count {
                turns.removeAll(keepingCapacity: true)
                turn = 0
                if lines.count > 64 { lines = lines.filter { !$0.value.entries.isEmpty } }
            } else if turn > 256, turn * 2 > turns.count {
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
