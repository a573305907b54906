/// JobRetry fails the attempt and asks for the next one after `delay` instead of the store's
/// backoff: thrown by a handler that knows better when to try again (an upstream's `Retry-After`,
/// a schedule of its own such as webhook deliveries'). The attempt counts; with none left the job
/// is dead, as for any failure.
public struct JobRetry: Error, Sendable, CustomStringConvertible {
    public let delay: Duration
    /// The attempt's error, as the job's error history keeps it.
    public let message: String

    public init(after delay: Duration, message: String) {
        self.delay = delay
        self.message = message
    }

    public var description: String { message }
}
