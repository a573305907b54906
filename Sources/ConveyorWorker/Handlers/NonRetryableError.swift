/// NonRetryableError fails a job for good: thrown by a handler, the job goes straight to the
/// dead-letter queue with reason `non_retryable`, whatever attempts it has left. Throw it when
/// retrying cannot help (a malformed payload, a permanently rejected request).
public struct NonRetryableError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, recorded as the attempt's error.
    public let message: String

    /// Creates the error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
