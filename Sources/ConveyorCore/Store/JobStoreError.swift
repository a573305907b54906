/// JobStoreError is every way a store operation can be refused. Each case carries what a user needs
/// to act; the HTTP layer maps them to problem+json in one place, the CLI prints `description`.
public enum JobStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No job has this id (or the caller may not see it).
    case notFound(id: JobID)
    /// The presented lease token is not the job's current, unexpired lease: the lease expired, the
    /// job was rescued, cancelled or claimed by someone else. Nothing was changed.
    case leaseLost(id: JobID)
    /// The job was cancelled: its attempt is over, and nothing of it is recorded.
    case cancelled(id: JobID)
    /// The job's state has no exit for this event (for example completing a cancelled job).
    case illegalTransition(id: JobID, from: JobState, event: JobEvent)
    /// No worker is registered under this id.
    case workerNotFound(id: String)
    /// No customer has this name (or the caller may not see it).
    case customerNotFound(name: String)
    /// A customer of this name exists already.
    case customerExists(name: String)
    /// No API key has this id.
    case apiKeyNotFound(id: String)
    /// Accepting these jobs would leave the customer more jobs waiting than its backlog quota;
    /// none of them was accepted.
    case backlogQuotaExceeded(customer: String, quota: Int)
    /// No webhook endpoint has this id (or the caller may not see it).
    case webhookNotFound(id: String)
    /// The customer has as many webhook endpoints as it may.
    case tooManyWebhooks(customer: String, limit: Int)
    /// The customer has no schedule of this name.
    case scheduleNotFound(name: String)
    /// The customer has a schedule of this name already.
    case scheduleExists(name: String)
    /// The customer has as many schedules as it may (`SCHEDULES_PER_CUSTOMER`).
    case tooManySchedules(customer: String, limit: Int)
    /// The database could not be opened or answered with an error; the operation did not happen.
    case unavailable(reason: String)

    public var description: String {
        switch self {
        case .notFound(let id): "no job with id \(id)"
        case .leaseLost(let id): "the lease on job \(id) was lost: it expired or the job moved on"
        case .cancelled(let id): "job \(id) was cancelled: its attempt is over and its outcome is not recorded"
        case .illegalTransition(let id, let from, let event):
            "job \(id) is \(from.rawValue) and cannot \(event.verb)"
        case .workerNotFound(let id): "no worker registered as \(id)"
        case .customerNotFound(let name): "no customer named \(name)"
        case .customerExists(let name): "a customer named \(name) exists already"
        case .apiKeyNotFound(let id): "no API key with id \(id)"
        case .backlogQuotaExceeded(let customer, let quota):
            "customer \(customer) may have at most \(quota) jobs waiting (its backlog quota); none of these was accepted"
        case .webhookNotFound(let id): "no webhook endpoint with id \(id)"
        case .tooManyWebhooks(let customer, let limit):
            "customer \(customer) has \(limit) webhook endpoints, the most it may have"
        case .scheduleNotFound(let name): "no schedule named \(name)"
        case .scheduleExists(let name): "a schedule named \(name) exists already"
        case .tooManySchedules(let customer, let limit):
            "customer \(customer) has \(limit) schedules, the most it may have (SCHEDULES_PER_CUSTOMER)"
        case .unavailable(let reason): reason
        }
    }
}

extension JobEvent {
    /// The event as a verb phrase, for error messages.
    var verb: String {
        switch self {
        case .claim: "be claimed"
        case .heartbeat: "heartbeat"
        case .complete: "be completed"
        case .failRetryable, .failDead: "be failed"
        case .release, .releaseLater: "be released"
        case .rescueRetryable, .rescueDead: "be rescued"
        case .cancel: "be cancelled"
        case .replay, .replayLater: "be replayed (only dead jobs can)"
        case .purge: "be purged (only dead jobs can)"
        }
    }
}
