import Synchronization

/// GroupCommit turns many concurrent single writes into few transactions (as River's batch
/// completer does for completions): the first write goes at once; those that arrive while it is
/// being written wait and go together in the next transaction. An idle caller therefore adds no
/// delay, and a busy one commits once per batch instead of once per item. Each item still gets
/// its own result; an error of the whole batch is every item's.
public final class GroupCommit<Input: Sendable, Output: Sendable>: Sendable {
    public typealias Done = @Sendable (Result<Output, any Error>) -> Void
    public typealias Write = @Sendable ([Input]) async throws -> [Result<Output, any Error>]
    private typealias Waiter = (input: Input, done: Done)

    private struct State {
        var pending: [Waiter] = []
        var flushing = false
    }

    private let maxBatch: Int
    private let write: Write
    private let state = Mutex(State())

    /// `write` gets up to `maxBatch` items and returns one result per item, in order.
    public init(maxBatch: Int, write: @escaping Write) {
        self.maxBatch = max(1, maxBatch)
        self.write = write
    }

    /// Writes `input` with whatever else is waiting; `done` gets its result once the batch is
    /// written. The caller does not wait.
    public func submit(_ input: Input, then done: @escaping Done) {
        let startFlushing = state.withLock { state -> Bool in
            state.pending.append((input, done))
            defer { state.flushing = true }
            return !state.flushing
        }
        // A task of its own, not the caller's: a cancelled caller's write must still finish.
        if startFlushing { Task { await self.flush() } }
    }

    /// Writes `input` with whatever else is waiting, and returns its result once committed.
    public func submit(_ input: Input) async throws -> Output {
        try await withCheckedContinuation { continuation in
            submit(input) { continuation.resume(returning: $0) }
        }.get()
    }

    private func flush() async {
        while true {
            let batch = state.withLock { state -> [Waiter] in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let results = try await write(batch.map(\.input))
                for (waiter, result) in zip(batch, results) { waiter.done(result) }
            } catch {
                for waiter in batch { waiter.done(.failure(error)) }
            }
        }
    }
}
