public import Foundation

/// Event is one thing that happened to a job, recorded in the same transaction as the change it
/// describes (so none is lost and none describes a change that rolled back), kept for the events'
/// retention window, and delivered to the job's customer in `id` order (`EventHub`, the SSE
/// stream). What an event says beyond its row — the result of a completed job — is read from the
/// job when the event is read.
public struct Event: Sendable, Hashable {
    public let id: EventCursor
    public let kind: EventKind
    public let customer: String
    public let jobID: JobID
    public let queue: String
    public let type: String
    /// The attempt it concerns (0 before the first).
    public let attempt: Int
    /// When it happened, on the store's clock.
    public let at: Date
    /// When the job runs again (`job.failed`), or when it may first run (`job.enqueued`).
    public let runAt: Date?
    /// The attempt's error (`job.failed`, `job.dead`) or the progress reported (`job.progress`).
    public let detail: String?
    /// The job's result (`job.completed`), byte for byte.
    public let result: JobPayload?

    public init(
        id: EventCursor, kind: EventKind, customer: String, jobID: JobID, queue: String, type: String, attempt: Int,
        at: Date, runAt: Date?, detail: String?, result: JobPayload?
    ) {
        self.id = id
        self.kind = kind
        self.customer = customer
        self.jobID = jobID
        self.queue = queue
        self.type = type
        self.attempt = attempt
        self.at = at
        self.runAt = runAt
        self.detail = detail
        self.result = result
    }
}

extension Event {
    /// The state the event left its job in.
    public var jobState: JobState {
        switch kind {
        case .enqueued: (runAt.map { $0 > at } ?? false) ? .scheduled : .available
        case .started, .progress: .running
        case .completed: .completed
        case .failed: .retryable
        case .dead: .dead
        case .cancelled: .cancelled
        }
    }
}

/// NewEvent is an event as a store records it, before it has an id.
public struct NewEvent: Sendable, Hashable {
    public let kind: EventKind
    public let job: Job
    public let at: Date
    public let detail: String?

    public init(_ kind: EventKind, of job: Job, at: Date, detail: String? = nil) {
        self.kind = kind
        self.job = job
        self.at = at
        self.detail = detail
    }

    /// When the job runs next, for the kinds that say so.
    public var runAt: Date? {
        switch kind {
        case .enqueued, .failed: job.runAt
        default: nil
        }
    }
}

extension Job {
    /// The events of the change from `before` (nil: the job is new) to `self`: its new state's, or
    /// a progress report while it runs on. The rule every engine records by.
    public func events(since before: Job?, at now: Date) -> [NewEvent] {
        // A webhook delivery is told of in its endpoint's log of attempts, not as a job event:
        // one would be delivered by another delivery, and that one by another.
        guard queue != WebhookDelivery.queue else { return [] }
        let latestError = errors.last?.message
        guard let before else {
            return [NewEvent(.enqueued, of: self, at: now)]
        }
        if before.state != state {
            switch state {
            case .scheduled, .available:
                // A replay out of the dead-letter queue; a release is no news to the customer.
                return before.state == .dead ? [NewEvent(.enqueued, of: self, at: now)] : []
            case .running: return [NewEvent(.started, of: self, at: now)]
            case .completed: return [NewEvent(.completed, of: self, at: now)]
            case .retryable: return [NewEvent(.failed, of: self, at: now, detail: latestError)]
            case .dead: return [NewEvent(.dead, of: self, at: now, detail: latestError)]
            case .cancelled: return [NewEvent(.cancelled, of: self, at: now)]
            }
        }
        if state == .running, let progress, progress != before.progress {
            return [NewEvent(.progress, of: self, at: now, detail: progress.text)]
        }
        return []
    }
}
