public import ConveyorCore

/// HealthObservations are the raw readings a health report is judged from, each either a value or
/// why it could not be read (an error or a timeout). Collected by the server; judged by
/// `HealthReport`, which is pure.
public struct HealthObservations: Sendable {
    public typealias Reading<Value: Sendable> = Result<Value, HealthProbeFailure>

    /// The database's round trip.
    public var database: Reading<Duration>
    /// The worker registry.
    public var workers: Reading<[Worker]>
    /// Running jobs whose lease expired.
    public var staleJobs: Reading<Int>
    /// The queues with jobs ready to run.
    public var backlogs: Reading<[QueueBacklog]>
    /// Dead jobs in all.
    public var deadLetters: Reading<Int>
    /// The rate limiter's mode (`store` or `fallback`); nil when requests are not limited.
    public var rateLimiterMode: String?
    /// Who leads maintenance (nil inside: nobody does).
    public var leader: Reading<Leadership?>
    /// What is paused.
    public var pauses: Reading<[Pause]>

    /// Creates a set of readings.
    public init(
        database: Reading<Duration>, workers: Reading<[Worker]>, staleJobs: Reading<Int>,
        backlogs: Reading<[QueueBacklog]>, deadLetters: Reading<Int>, rateLimiterMode: String?,
        leader: Reading<Leadership?>, pauses: Reading<[Pause]> = .success([])
    ) {
        self.database = database
        self.workers = workers
        self.staleJobs = staleJobs
        self.backlogs = backlogs
        self.deadLetters = deadLetters
        self.rateLimiterMode = rateLimiterMode
        self.leader = leader
        self.pauses = pauses
    }
}

/// HealthProbeFailure is why a reading could not be taken.
public struct HealthProbeFailure: Error, Sendable, Hashable {
    public let reason: String

    public init(_ reason: String) { self.reason = reason }
}
