import ConveyorCore

/// AttemptEnding is how one run of a handler ended, and `outcome` is what that means for the job.
/// Keeping the decision pure keeps the rules in one testable place.
enum AttemptEnding: Sendable {
    /// The handler returned, with the job's result or none.
    case returned(JobPayload?)
    /// The handler threw.
    case threw(any Error)
    /// The handler ran past its timeout.
    case timedOut(Duration)
    /// Shutdown ran past its deadline while the handler was still running.
    case interrupted
    /// A heartbeat found the lease gone.
    case leaseLost
    /// The job was cancelled (pushed by the store, or found by a heartbeat).
    case cancelled

    /// What the runtime writes to the store.
    enum Outcome: Sendable, Equatable {
        case complete(result: JobPayload?)
        /// `retryAfter`: the handler chose when (`JobRetry`); nil: the store's backoff.
        case fail(message: String, retryable: Bool, retryAfter: Duration? = nil)
        case release(after: Duration)
        /// Nothing: the lease is gone and whatever the handler did must not be recorded.
        case discard
    }

    var outcome: Outcome {
        switch self {
        case .returned(let result): .complete(result: result)
        case .threw(let error as NonRetryableError): .fail(message: error.message, retryable: false)
        case .threw(let snooze as JobSnooze): .release(after: max(snooze.delay, .zero))
        case .threw(let retry as JobRetry):
            .fail(message: retry.message, retryable: true, retryAfter: max(retry.delay, .zero))
        case .threw(let error): .fail(message: AttemptEnding.describe(error), retryable: true)
        case .timedOut(let limit): .fail(message: "timed out after \(AttemptEnding.seconds(limit))", retryable: true)
        case .interrupted: .release(after: .zero)
        case .leaseLost, .cancelled: .discard
        }
    }

    /// An error's own description when it has one, else how Swift prints it (which names its type).
    static func describe(_ error: any Error) -> String {
        String(describing: error)
    }

    static func seconds(_ duration: Duration) -> String {
        let value = duration.components.seconds
        let fraction = duration.components.attoseconds / 1_000_000_000_000_000
        return fraction == 0 ? "\(value) s" : "\(value).\(fraction / 100) s"
    }
}
