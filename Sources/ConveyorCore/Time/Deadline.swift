/// Runs `operation`, giving up with `DeadlineExceeded` after `timeout` (the operation is
/// cancelled). For calls that must not hang a caller: connecting, the rate limiter's store.
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
    public var description: String {
        let (seconds, attoseconds) = timeout.components
        return seconds >= 1
            ? "no answer within \(seconds) s" : "no answer within \(attoseconds / 1_000_000_000_000_000) ms"
    }
}
