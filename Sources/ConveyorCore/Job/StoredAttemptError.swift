import Foundation

/// StoredAttemptError is how every engine stores an attempt's error: times as integer
/// milliseconds, so that they read back exactly.
public struct StoredAttemptError: Codable, Sendable {
    public let attempt: Int
    public let at: Int64
    public let message: String

    /// The stored form of an error.
    public init(_ error: AttemptError) {
        attempt = error.attempt
        at = error.at.unixMilliseconds
        message = error.message
    }

    /// The error again.
    public var attemptError: AttemptError {
        // The message was truncated when it was recorded; this limit only guards old rows.
        AttemptError(
            attempt: attempt, at: Date(unixMilliseconds: at), message: message,
            limits: JobLimits(errorMessageBytes: .max))
    }
}
