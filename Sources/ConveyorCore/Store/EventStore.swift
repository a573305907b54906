/// EventStore reads the job events that the other roles record with their changes, and prunes
/// them.
public protocol EventStore: Sendable {
    /// Rung when this process committed events, so that its readers look at once (others look
    /// on their own schedule).
    var eventsRecorded: Doorbell { get }

    /// The events after `cursor` (from the oldest kept when nil) in stream order, of one customer
    /// or of all, at most `limit`; only events nothing can ever come before any more.
    func events(after cursor: EventCursor?, customer: String?, limit: Int) async throws -> [Event]

    /// The cursor of the newest readable event; nil when there is none.
    func newestEventCursor() async throws -> EventCursor?

    /// The newest cursor pruning has removed; nil when nothing was pruned. A reader resuming at or
    /// before it may have missed events.
    func prunedEventCursor() async throws -> EventCursor?

    /// Deletes the events older than `age` on the store's clock; returns how many.
    func pruneEvents(olderThan age: Duration) async throws -> Int
}
