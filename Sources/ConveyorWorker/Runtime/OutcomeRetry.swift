import ConveyorCore

/// OutcomeRetry decides whether a failed outcome write is tried again. A store that is
/// unavailable (a dropped connection, a restarting server, a failover) may answer the next try;
/// every other refusal (the lease lost, a job cancelled) is final. Tries go on with backoff while
/// the lease still holds: the handler's last renewal keeps it for at least the lease less one
/// heartbeat interval, after which the job is the rescuer's and a late write would only be refused.
/// Without it, PostgreSQL killing every connection once a second under a 5,000-job drain lost
/// 10 completions, whose jobs then stayed `running` until rescued and ran again.
struct OutcomeRetry: Sendable {
    /// How long after the handler ended the lease is sure to hold.
    let window: Duration
    /// The first pause between tries; doubled after each, up to `maxPause`.
    var firstPause: Duration = .milliseconds(50)
    var maxPause: Duration = .seconds(2)

    init(lease: Duration, heartbeatInterval: Duration) {
        window = lease - heartbeatInterval
    }

    /// Whether a write that failed with `error` may be tried again: the store was unavailable, or
    /// did not answer in time (the write may still have committed; a retry finds out).
    static func isTransient(_ error: any Error) -> Bool {
        if case .unavailable = error as? JobStoreError { return true }
        return error is DeadlineExceeded
    }

    /// How long one try may take, `elapsed` after the handler ended: what is left of the window,
    /// and never less than a tenth of a second.
    func timeout(elapsed: Duration) -> Duration {
        max(window - elapsed, .milliseconds(100))
    }

    /// The pause before try number `retry` (1 for the first retry), or nil when it would end
    /// after `elapsed` has passed the window.
    func pause(beforeRetry retry: Int, elapsed: Duration) -> Duration? {
        let pause = min(firstPause * (1 << min(retry - 1, 16)), maxPause)
        return elapsed + pause < window ? pause : nil
    }
}
