/// JobState is where a job is in its lifecycle. Every accepted job is in exactly one state; the only
/// ways out of each state are listed on its case and enforced by `Job`'s lifecycle methods.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for `run_at`. Leaves by: claim once `run_at` has passed (→ running), cancel.
    case scheduled
    /// Ready to run. Leaves by: claim (→ running), cancel.
    case available
    /// Leased to one worker. Leaves by: complete, fail (→ retryable or dead), release (→ available
    /// or scheduled), stale rescue (→ retryable or dead), cancel.
    case running
    /// Failed, runs again at `run_at` (backoff). Leaves by: claim once `run_at` has passed, cancel.
    case retryable
    /// Done. Leaves by: pruning after retention.
    case completed
    /// In the dead-letter queue. Leaves by: replay (→ available, or scheduled when paced), purge,
    /// pruning after retention.
    case dead
    /// Cancelled by a user. Leaves by: pruning after retention.
    case cancelled

    /// States a job is never claimed from again: only pruning or, for `dead`, replay moves it.
    public var isFinished: Bool {
        switch self {
        case .completed, .dead, .cancelled: true
        case .scheduled, .available, .running, .retryable: false
        }
    }

    /// States from which a claim may take the job once its `run_at` has passed.
    public static let claimable: [JobState] = [.scheduled, .available, .retryable]

    /// The state an event moves a job in this state to, or nil when the event is not an exit of
    /// this state. This table is the single source of truth for the lifecycle.
    public func target(of event: JobEvent) -> JobState? {
        switch (self, event) {
        case (.scheduled, .claim), (.available, .claim), (.retryable, .claim): .running
        case (.scheduled, .cancel), (.available, .cancel), (.retryable, .cancel), (.running, .cancel): .cancelled
        case (.running, .heartbeat): .running
        case (.running, .complete): .completed
        case (.running, .failRetryable), (.running, .rescueRetryable): .retryable
        case (.running, .failDead), (.running, .rescueDead): .dead
        case (.running, .release): .available
        case (.running, .releaseLater): .scheduled
        case (.dead, .replay): .available
        case (.dead, .replayLater): .scheduled
        default: nil
        }
    }
}

/// JobEvent names what happened to a job; `JobState.target(of:)` says where it leads.
public enum JobEvent: String, Sendable, Codable {
    case claim
    case heartbeat
    case complete
    case failRetryable = "fail"
    case failDead = "fail_dead"
    case release
    case releaseLater = "release_later"
    case rescueRetryable = "rescue"
    case rescueDead = "rescue_dead"
    case cancel
    case replay
    /// A replay paced out: the job waits until its turn.
    case replayLater = "replay_later"
    case purge
}

/// DeadReason says why a job is in the dead-letter queue.
public enum DeadReason: String, Sendable, Codable, CaseIterable {
    /// It failed on its last allowed attempt.
    case exhausted
    /// Its handler marked the error as not worth retrying.
    case nonRetryable = "non_retryable"
    /// Its lease expired on the last allowed attempt: the worker is presumed dead.
    case stale
}
