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
    /// second, in id order — `scheduled` for their turn.
    func replay(_ selection: DeadLetterSelection, perSecond pace: Double?) async throws -> [Job]

    /// Deletes dead jobs; returns how many.
    func purge(_ selection: DeadLetterSelection) async throws -> Int
}

extension DeadLetterStore {
    /// Replays at once (no pacing).
    public func replay(_ selection: DeadLetterSelection) async throws -> [Job] {
        try await replay(selection, perSecond: nil)
    }
}
