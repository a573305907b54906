public import Foundation

/// DeadLetterStore is the dead-letter queue: how many jobs are dead, which failed lately, and
/// replaying or purging them.
public protocol DeadLetterStore: Sendable {
    /// Dead jobs in all — read through the index of finished jobs, so that health and the
    /// dead-letter monitor, which ask often, do not count the whole table.
    func deadLetterCount() async throws -> Int

    /// Jobs whose last attempt failed after `since` (whatever they are now), the latest first, at
    /// most `limit`: what the dead-letter monitor judges new dead jobs and stale rescues by.
    func recentFailures(since: Date, limit: Int) async throws -> [Job]

    /// Moves dead jobs back with a fresh attempt budget: to `available`, or — at most `pace` a
    /// second, in id order — `scheduled` for their turn. The batch holds them as they are now.
    func replay(_ selection: DeadLetterSelection, perSecond pace: Double?) async throws -> DeadLetterBatch

    /// Deletes dead jobs. The batch holds them as they were.
    func purge(_ selection: DeadLetterSelection) async throws -> DeadLetterBatch
}

extension DeadLetterStore {
    /// Replays at once (no pacing).
    public func replay(_ selection: DeadLetterSelection) async throws -> DeadLetterBatch {
        try await replay(selection, perSecond: nil)
    }
}

/// DeadLetterBatch is what one replay or purge did: the jobs it touched, in id order, and — when
/// a filter's selection read as many dead jobs as its limit — the id after which the next call
/// goes on (`DeadLetterFilter.after`). A selection by ids is whole and has no next.
public struct DeadLetterBatch: Sendable, Hashable {
    public let jobs: [Job]
    public let next: JobID?
    /// After a paced replay with more to come, the next job's turn (`DeadLetterFilter.turnsFrom`).
    public let nextTurn: Date?

    public init(jobs: [Job], next: JobID?, nextTurn: Date? = nil) {
        self.jobs = jobs
        self.next = next
        self.nextTurn = nextTurn
    }

    /// The batch of a replay of `jobs` at `turns` (`DeadLetterSelection.turns`, which began at
    /// `firstTurn`): with more to come and a pace, the next job's turn follows the last — or, when
    /// this call replayed nothing, is still `firstTurn`.
    public static func replayed(
        _ jobs: [Job], next: JobID?, turns: [Date], firstTurn: Date, perSecond pace: Double?
    ) -> Self {
        guard next != nil, let pace, pace > 0 else { return Self(jobs: jobs, next: next) }
        return Self(jobs: jobs, next: next, nextTurn: turns.last?.addingTimeInterval(1 / pace) ?? firstTurn)
    }
}
