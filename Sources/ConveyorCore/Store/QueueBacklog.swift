public import Foundation

/// QueueBacklog is one queue's jobs that are ready to run — waiting states whose run time has come
/// — and since when the oldest of them has been ready: what health and metrics report as a queue's
/// depth and its oldest available job's age.
public struct QueueBacklog: Sendable, Hashable {
    public let customer: String
    public let queue: String
    public let ready: Int
    public let oldestReadySince: Date

    /// Creates a backlog reading.
    public init(customer: String, queue: String, ready: Int, oldestReadySince: Date) {
        self.customer = customer
        self.queue = queue
        self.ready = ready
        self.oldestReadySince = oldestReadySince
    }
}
