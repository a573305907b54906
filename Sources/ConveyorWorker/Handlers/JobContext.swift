public import ConveyorCore
public import Logging

/// JobContext is what a handler gets besides its payload: the job as claimed (id, attempt, queue…)
/// and a logger already carrying the job's id, customer and queue.
public struct JobContext: Sendable {
    /// The job, as the claim returned it (state `running`, this attempt's number).
    public let job: Job
    /// The worker process running it.
    public let workerID: String
    /// Log through this: every line carries `job_id`, `customer`, `queue` and `worker_id`.
    public let logger: Logger
}
