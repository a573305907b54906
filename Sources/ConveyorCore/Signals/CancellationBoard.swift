import Synchronization

/// CancellationBoard carries the cancellation of running jobs to whoever runs them in this
/// process, at once: a worker watches each job it runs, and the store posts a job when it is
/// cancelled — by this process, or, on PostgreSQL, by any process (the cancel is announced with
/// NOTIFY). Where nothing is posted (SQLite across processes), the worker's next lease renewal
/// finds the job cancelled instead.
public final class CancellationBoard: Sendable {
    private let watchers = Mutex<[JobID: @Sendable () -> Void]>([:])

    public init() {}

    /// Calls `onCancel` (once) if job `id` is cancelled while it is watched.
    public func watch(_ id: JobID, onCancel: @escaping @Sendable () -> Void) {
        watchers.withLock { $0[id] = onCancel }
    }

    /// Stops watching job `id`.
    public func forget(_ id: JobID) {
        _ = watchers.withLock { $0.removeValue(forKey: id) }
    }

    /// Job `id` was cancelled: tells its watcher, if it has one here.
    public func post(_ id: JobID) {
        let watcher = watchers.withLock { $0.removeValue(forKey: id) }
        watcher?()
    }
}
