public import ServiceLifecycle
import Synchronization

/// GroupCommit turns many concurrent single writes into few transactions (as River's batch
/// completer does for completions): the first write goes at once; those that arrive while it is
/// being written wait and go together in the next transaction. An idle caller therefore adds no
/// delay, and a busy one commits once per batch instead of once per item. Each item still gets
/// its own result; an error of the whole batch is every item's.
///
/// The writing happens in `run()` — a `Service`, run in the process's `ServiceGroup` after the
/// producers of its writes so that it stops after them: on graceful shutdown it writes what is
/// pending and returns. An owner that runs it itself (a worker, for its completions) calls
/// `writeUntilCancelled()` and cancels it once nothing more will come.
public final class GroupCommit<Input: Sendable, Output: Sendable>: Service, Sendable {
    public typealias Done = @Sendable (Result<Output, any Error>) -> Void
    public typealias Write = @Sendable ([Input]) async throws -> [Result<Output, any Error>]
    private typealias Waiter = (input: Input, done: Done)

    private struct State {
        var pending: [Waiter] = []
        /// Graceful shutdown began: return once nothing is pending.
        var finishing = false
        /// Stopped: what is submitted now fails at once.
        var stopped = false
    }

    private let maxBatch: Int
    private let write: Write
    private let state = Mutex(State())
    private let submitted = Doorbell()

    /// `write` gets up to `maxBatch` items and returns one result per item, in order.
    public init(maxBatch: Int, write: @escaping Write) {
        self.maxBatch = max(1, maxBatch)
        self.write = write
    }

    /// Writes `input` with whatever else is waiting; `done` gets its result once the batch is
    /// written. The caller does not wait.
    public func submit(_ input: Input, then done: @escaping Done) {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.pending.append((input, done))
            return true
        }
        guard accepted else { return done(.failure(GroupCommitStopped())) }
        submitted.ringAll()
    }

    /// Writes `input` with whatever else is waiting, and returns its result once committed.
    public func submit(_ input: Input) async throws -> Output {
        try await withCheckedContinuation { continuation in
            submit(input) { continuation.resume(returning: $0) }
        }.get()
    }

    /// Writes batches until graceful shutdown, then what is still pending.
    public func run() async {
        await withGracefulShutdownHandler {
            await writeUntilCancelled()
        } onGracefulShutdown: {
            self.state.withLock { $0.finishing = true }
            self.submitted.ringAll()
        }
    }

    /// Writes batches as they come until the task is cancelled (or, under `run()`, graceful
    /// shutdown has begun and nothing is pending). What is submitted afterwards fails with
    /// `GroupCommitStopped`; a batch being written when cancelled is written as its write allows.
    public func writeUntilCancelled() async {
        while true {
            let ticket = submitted.ticket()
            let (batch, done) = state.withLock { state -> ([Waiter], Bool) in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                return (batch, batch.isEmpty && state.finishing)
            }
            if done { break }
            if batch.isEmpty {
                if Task.isCancelled { break }
                _ = await submitted.wait(for: nil, after: ticket, timeout: nil)
                continue
            }
            do {
                let results = try await write(batch.map(\.input))
                for (waiter, result) in zip(batch, results) { waiter.done(result) }
            } catch {
                for waiter in batch { waiter.done(.failure(error)) }
            }
        }
        let left = state.withLock { state -> [Waiter] in
            state.stopped = true
            defer { state.pending.removeAll() }
            return state.pending
        }
        for waiter in left { waiter.done(.failure(GroupCommitStopped())) }
    }
}

/// GroupCommitStopped is the answer to a write submitted after its `GroupCommit` stopped.
public struct GroupCommitStopped: Error, CustomStringConvertible {
    public var description: String { "the writer is stopping: the write was not made" }
}
