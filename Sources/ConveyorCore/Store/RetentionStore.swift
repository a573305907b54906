/// RetentionStore forgets what is past keeping: finished jobs and idempotency keys older than the
/// policy allows.
public protocol RetentionStore: Sendable {
    /// Deletes finished jobs older than the policy allows, and idempotency keys past their retention.
    func prune(_ policy: RetentionPolicy) async throws -> PruneReport
}
