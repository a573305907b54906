import Synchronization

/// JobCount counts jobs in flight; a class so that the tasks running them can share it.
final class JobCount: Sendable {
    private let value = Mutex(0)

    var current: Int { value.withLock { $0 } }

    func add(_ delta: Int) {
        value.withLock { $0 += delta }
    }
}
