/// JobSnooze asks for the job to run again later without counting a failure: thrown by a handler,
/// the job is released back to the queue, claimable after `delay`, with its attempt given back.
/// Use it for "not yet" (a resource is busy, a rate limit upstream), not for errors.
public struct JobSnooze: Error, Sendable, CustomStringConvertible {
    /// How long to wait before the job may be claimed again.
    public let delay: Duration

    /// Creates the request.
    public init(for delay: Duration) {
        self.delay = delay
    }

    public var description: String { "snoozed for \(delay)" }
}
