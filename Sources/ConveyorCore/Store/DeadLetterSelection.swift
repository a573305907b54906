/// DeadLetterSelection picks jobs in the dead-letter queue to replay or purge.
public enum DeadLetterSelection: Sendable, Hashable {
    /// Exactly these jobs; the operation is refused as a whole if any of them is unknown or not dead.
    case ids([JobID])
    /// Every dead job matching the filter (its `states` is ignored).
    case matching(JobFilter)
}
