/// JobLimits bounds what a job may carry, so that no single job can exhaust the store.
public struct JobLimits: Sendable, Hashable {
    /// The largest payload in UTF-8 bytes (default 256 KiB).
    public var payloadBytes: Int
    /// The largest result a worker may complete a job with, in UTF-8 bytes (`RESULT_MAX_BYTES`,
    /// default 256 KiB).
    public var resultBytes: Int
    /// The largest progress report, in UTF-8 bytes (4 KiB): progress is rewritten while the job
    /// runs, so it stays small.
    public var progressBytes: Int
    /// The longest error message kept per attempt, in UTF-8 bytes (default 2 KiB).
    public var errorMessageBytes: Int
    /// How many attempt errors a job keeps; the oldest are dropped first (default 25).
    public var errorHistoryCount: Int
    /// The largest `max_attempts` a job may ask for (default 100).
    public var maxAttemptsCeiling: Int
    /// The longest a job may be scheduled ahead (default 365 days).
    public var maxDelay: Duration

    /// Creates limits; every argument defaults to the documented default.
    public init(
        payloadBytes: Int = 256 * 1024,
        resultBytes: Int = 256 * 1024,
        progressBytes: Int = 4 * 1024,
        errorMessageBytes: Int = 2048,
        errorHistoryCount: Int = 25,
        maxAttemptsCeiling: Int = 100,
        maxDelay: Duration = .seconds(365 * 24 * 3600)
    ) {
        self.payloadBytes = payloadBytes
        self.resultBytes = resultBytes
        self.progressBytes = progressBytes
        self.errorMessageBytes = errorMessageBytes
        self.errorHistoryCount = errorHistoryCount
        self.maxAttemptsCeiling = maxAttemptsCeiling
        self.maxDelay = maxDelay
    }

    /// The documented defaults.
    public static let `default` = JobLimits()

    /// The limits the settings give (`RESULT_MAX_BYTES`: 1 byte to 3 MiB, so that a completion
    /// fits the HTTP API's 4 MiB request body); what they leave out keeps its default.
    public init(settings: Settings) throws(ValidationError) {
        self.init()
        if let bytes = try settings.integer("RESULT_MAX_BYTES", in: 1...(3 * 1024 * 1024)) { resultBytes = bytes }
    }
}
