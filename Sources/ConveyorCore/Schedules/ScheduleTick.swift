public import Foundation

/// ScheduleTick is what became of a schedule's latest tick: the job it made (with that job's
/// state now, when a store read it), or why it made none.
public struct ScheduleTick: Sendable, Hashable {
    /// The tick's time (for a run made on demand, when it was asked for).
    public let at: Date
    public let jobID: JobID?
    /// The job's state when read; nil when the job is gone (pruned) or there was none.
    public let jobState: JobState?
    /// Why no job was made (the backlog quota refused it, the tick was missed under `skip`).
    public let skipped: String?

    /// Creates a record of a tick.
    public init(at: Date, jobID: JobID?, jobState: JobState?, skipped: String?) {
        self.at = at
        self.jobID = jobID
        self.jobState = jobState
        self.skipped = skipped
    }
}
