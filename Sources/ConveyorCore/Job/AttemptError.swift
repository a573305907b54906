public import Foundation

/// AttemptError records why one attempt of a job failed. A job keeps the errors of its attempts in
/// order, bounded by `JobLimits` so that a job retried for days cannot grow without limit.
public struct AttemptError: Sendable, Hashable, Codable {
    /// The attempt that failed (1 for the first run).
    public let attempt: Int
    /// When the failure was recorded.
    public let at: Date
    /// The error text, truncated to `JobLimits.errorMessageBytes`.
    public let message: String

    /// Records a failure, truncating the message on a character boundary.
    public init(attempt: Int, at: Date, message: String, limits: JobLimits = .default) {
        self.attempt = attempt
        self.at = at
        self.message = message.truncated(toUTF8Bytes: limits.errorMessageBytes)
    }
}

extension String {
    /// This string cut to at most `limit` UTF-8 bytes without splitting a character, marked with
    /// an ellipsis when cut.
    func truncated(toUTF8Bytes limit: Int) -> String {
        guard utf8.count > limit else { return self }
        let marker = "…"
        var result = ""
        var used = marker.utf8.count
        for character in self {
            let size = character.utf8.count
            if used + size > limit { break }
            result.append(character)
            used += size
        }
        return result + marker
    }
}
