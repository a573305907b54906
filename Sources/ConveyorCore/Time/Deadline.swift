import Synchronization

/// Runs `operation`, giving up with `DeadlineExceeded` after `timeout` (the operation is
/// cancelled, and waited for). For background calls whose loop may wait for the cancelled call to
/// end: connecting, the rate limiter's probe. A request that must answer in time uses `abandoning`.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw DeadlineExceeded(timeout: timeout)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// DeadlineExceeded says an operation ran out of time.
public struct DeadlineExceeded: Error, Sendable, CustomStringConvertible {
    public let timeout: Duration

    /// The error for a call that did not answer within `timeout`.
    public init(timeout: Duration) { self.timeout = timeout }
    public var description: String {
        let (seconds, attoseconds) = timeout.components
        return seconds >= 1
            ? "no answer within \(seconds) s" : "no answer within \(attoseconds / 1_000_000_000_000_000) ms"
    }
}

/// Runs `operation` in a task of its own and returns its result, or throws `DeadlineExceeded`
/// after `timeout` without waiting for it: the operation is cancelled and left to end on its own.
/// `withDeadline` waits for its child to end, which is no bound for a call that never returns — and
/// one was seen: PostgresNIO, with the server killing connections (`pg_terminate_backend`), now
/// and then never answered a query sent just as its connection closed, and the worker or leader
/// waiting on it could not shut down. For the few calls a process must see through to stop.
///
/// A cancelled caller stops waiting at once too. With `cancelling` false, an operation given up on
/// (by the timeout or the caller's cancellation) is not cancelled but left to run to its end: for
/// a write that should commit if it still can, such as a worker's outcome at shutdown.
public func abandoning<T: Sendable>(
    after timeout: Duration, cancelling: Bool = true, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = AbandonableOutcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            outcome.start(continuation)
            let work = Task {
                do { outcome.finish(.success(try await operation())) } catch { outcome.finish(.failure(error)) }
            }
            let timer = Task {
                try await Task.sleep(for: timeout)
                outcome.finish(.failure(DeadlineExceeded(timeout: timeout)))
            }
            // Whichever way it ends, the timer stops, and an operation that lost the race is
            // cancelled unless it is to be left running.
            outcome.whenFinished { succeeded in
                timer.cancel()
                if !succeeded && cancelling { work.cancel() }
            }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// The first result of an `abandoning` call: the operation's, the timeout's or a cancellation.
private final class AbandonableOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var cleanup: (@Sendable (Bool) -> Void)?
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if state.result == nil { state.continuation = continuation }
            return state.result
        }
        if let early { continuation.resume(with: early) }
    }

    func whenFinished(_ cleanup: @escaping @Sendable (Bool) -> Void) {
        let result = state.withLock { state -> Result<T, any Error>? in
            if state.result == nil { state.cleanup = cleanup }
            return state.result
        }
        if let result { cleanup(Self.succeeded(result)) }
    }

    func finish(_ result: Result<T, any Error>) {
        let taken = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable (Bool) -> Void)?)? in
            guard state.result == nil else { return nil }
            state.result = result
            defer {
                state.continuation = nil
                state.cleanup = nil
            }
            return (state.continuation, state.cleanup)
        }
        guard let (continuation, cleanup) = taken else { return }
        continuation?.resume(with: result)
        cleanup?(Self.succeeded(result))
    }

    private static func succeeded(_ result: Result<T, any Error>) -> Bool {
        if case .success = result { return true }
        return false
    }
}
