public import ConveyorCore

/// WorkerEvent is something a `WorkerService` did. Tests wait on these instead of sleeping;
/// instrumentation can count them.
public enum WorkerEvent: Sendable {
    /// The worker registered and starts claiming.
    case started(workerID: String)
    /// A job was claimed and its handler is starting.
    case claimed(Job)
    /// A running job's lease was renewed.
    case heartbeat(JobID)
    /// The handler returned and the job is completed.
    case completed(Job)
    /// The handler threw (or timed out) and the failure was recorded: retryable or dead.
    case failed(Job)
    /// The handler snoozed, or shutdown interrupted it: the job is back in the queue.
    case released(Job)
    /// The handler ran past its timeout and was cancelled.
    case timedOut(JobID)
    /// The lease was lost while the handler ran (the job was rescued or re-claimed): the handler
    /// was cancelled and its outcome discarded.
    case leaseLost(JobID)
    /// The job was cancelled while its handler ran: the handler was cancelled (a program got
    /// SIGTERM) and its outcome discarded.
    case cancelled(JobID)
    /// The outcome could not be written (the lease was lost at the last moment, or the store
    /// failed); the job will be rescued when its lease expires.
    case outcomeNotRecorded(JobID, reason: String)
    /// A job claimed ahead went back unstarted: shutdown began, or it waited half its lease.
    case handedBack(JobID)
    /// The worker told the registry it is alive, running this many jobs.
    case registryHeartbeat(jobsRunning: Int)
    /// A queue found nothing to claim and waits for a wake-up or its poll interval.
    case idle(queue: String)
    /// Shutdown began: no more claims.
    case draining
    /// `shutdownTimeout` + `stopGrace` passed with store calls unanswered: the worker stops
    /// waiting for them.
    case stopLinePassed
    /// The worker deregistered and `run()` is returning.
    case stopped
}
