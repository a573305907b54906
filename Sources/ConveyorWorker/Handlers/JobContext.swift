public import ConveyorCore
public import Logging

/// JobContext is what a handler gets besides its payload: the job as claimed (id, attempt, queue…)
/// and a logger already carrying the job's id, customer and queue.
public struct JobContext: Sendable {
    /// The job, as the claim returned it (state `running`, this attempt's number).
    public let job: Job
    /// The worker process running it.
    public let workerID: String
    /// The worker's logger, without the job's metadata yet.
    let workerLogger: Logger

    /// Log through this: every line carries `job_id`, `customer`, `queue`, `attempt` and
    /// `worker_id`. Built when asked for: a handler that never logs costs no metadata (setting
    /// metadata on swift-log's stream handler re-renders all of it, a measurable share of a
    /// no-op job).
    public var logger: Logger { Self.logger(workerLogger, for: job) }

    /// `base` with the job's metadata added.
    static func logger(_ base: Logger, for job: Job) -> Logger {
        var logger = base
        for (key, value) in job.logMetadata where key != "state" { logger[metadataKey: key] = value }
        return logger
    }
}
