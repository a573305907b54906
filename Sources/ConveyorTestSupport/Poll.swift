public import Testing

/// Polls `condition` every 20 ms until it holds; records an issue and throws after `timeout`.
/// For state another process changes, where there is no signal to wait on.
public func poll(
    _ what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20),
    sourceLocation: SourceLocation = #_sourceLocation, until condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out after \(timeout) waiting for \(what)", sourceLocation: sourceLocation)
            throw PollTimeout()
        }
        try await Task.sleep(for: interval)
    }
}

/// PollTimeout ends a test whose awaited condition never held (the issue is already recorded).
public struct PollTimeout: Error {}
