public import Foundation

/// JobQueries read jobs as they are: one by id, pages of a listing, counts per queue. They change
/// nothing.
public protocol JobQueries: Sendable {
    /// The job with this id, or nil.
    func job(id: JobID) async throws -> Job?

    /// One page of jobs, newest first.
    func list(_ query: JobQuery) async throws -> JobPage

    /// Jobs per state for each customer's queue; `customer` restricts it to one customer.
    func counts(customer: String?) async throws -> [QueueCounts]

    /// Jobs per state for each customer's queue, of the states a job waits, runs or lies dead in
    /// (scheduled, available, running, retryable, dead) — read off those states' own indexes,
    /// never the completed and cancelled jobs a table keeps for retention. What the dashboard
    /// shows.
    func liveCounts() async throws -> [QueueCounts]

    /// Per customer and minute since `since`: jobs completed, attempts failed and jobs dead — read
    /// off the indexes of finished and failed jobs, so the cost grows with the jobs of that window,
    /// not with the table.
    func throughput(since: Date) async throws -> [ThroughputMinute]
}
