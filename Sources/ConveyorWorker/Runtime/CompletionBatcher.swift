import ConveyorCore
import Synchronization

/// CompletionBatcher turns many concurrent completions into few transactions (group commit, as
/// River's batch completer): the first completion is written at once; those that arrive while it
/// is being written wait and go together in the next transaction. An idle worker therefore adds no
/// delay, and a busy one commits once per batch instead of once per job.
final class CompletionBatcher: Sendable {
    typealias Done = @Sendable (Result<Job, any Error>) -> Void
    private typealias Waiter = (lease: Lease, done: Done)

    private struct State {
        var pending: [Waiter] = []
        var flushing = false
    }

    /// The most completions one transaction carries.
    static let maxBatch = 500

    private let store: any JobStore
    private let state = Mutex(State())

    init(store: any JobStore) {
        self.store = store
    }

    /// Completes the job; `done` gets it, or the error its lease got, once the batch is written.
    /// The caller does not wait: a runner goes on to its next job meanwhile.
    func complete(_ lease: Lease, then done: @escaping Done) {
        let startFlushing = state.withLock { state -> Bool in
            state.pending.append((lease, done))
            defer { state.flushing = true }
            return !state.flushing
        }
        // A task of its own, not the caller's: a cancelled worker must still record outcomes.
        if startFlushing { Task { await self.flush() } }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { state -> [Waiter] in
                let batch = Array(state.pending.prefix(Self.maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let results = try await store.complete(batch: batch.map(\.lease))
                for (waiter, result) in zip(batch, results) {
                    waiter.done(result.mapError { $0 })
                }
            } catch {
                for waiter in batch { waiter.done(.failure(error)) }
            }
        }
    }
}
