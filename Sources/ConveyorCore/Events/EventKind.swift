/// EventKind is what happened to a job, as its customer's event stream names it.
public enum EventKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// The job was accepted (or replayed out of the dead-letter queue) and waits its turn.
    case enqueued = "job.enqueued"
    /// A worker claimed it: an attempt started.
    case started = "job.started"
    /// The running attempt reported progress.
    case progress = "job.progress"
    /// It completed, with its result if it has one.
    case completed = "job.completed"
    /// An attempt failed and the job runs again after its backoff.
    case failed = "job.failed"
    /// An attempt failed and no retry is left (or it cannot be retried): it is in the dead-letter
    /// queue.
    case dead = "job.dead"
    /// It was cancelled.
    case cancelled = "job.cancelled"
}
