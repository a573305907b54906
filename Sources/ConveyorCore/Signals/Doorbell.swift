import Synchronization

/// Doorbell wakes tasks that wait for something to happen to a key (a queue name), without
/// polling. A waiter first takes a `Ticket`, then checks for work, then waits *after* that ticket:
/// a ring that lands between the check and the wait is not lost, it makes the wait return at once.
///
/// Stores ring it with the queue name when jobs become available there, so idle workers in the
/// same process start within microseconds; workers in other processes rely on their poll
/// interval (or, on PostgreSQL, LISTEN/NOTIFY ringing the same doorbell).
public final class Doorbell: Sendable {
    /// A point in the doorbell's history.
    public struct Ticket: Sendable, Hashable {
        let generation: UInt64
    }

    private struct Waiter {
        let keys: Set<String>?
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var generation: UInt64 = 0
        var lastRing: [String: UInt64] = [:]
        var lastRingAll: UInt64 = 0
        var lastRingAny: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        /// Waiters that have an id but have not stored their continuation yet.
        var arriving: Set<UInt64> = []
        var cancelledBeforeWaiting: Set<UInt64> = []
        var nextWaiterID: UInt64 = 0

        func rang(for keys: Set<String>?, after ticket: Ticket) -> Bool {
            guard let keys else { return lastRingAny > ticket.generation }
            if lastRingAll > ticket.generation { return true }
            return keys.contains { (lastRing[$0] ?? 0) > ticket.generation }
        }
    }

    private let state = Mutex(State())

    /// Creates a doorbell nobody has rung.
    public init() {}

    /// How many are waiting now (for tests and metrics).
    public var waiting: Int { state.withLock { $0.waiters.count + $0.arriving.count } }

    /// Marks now; `wait(for:after:timeout:)` returns at once if a matching ring comes after it.
    public func ticket() -> Ticket {
        state.withLock { Ticket(generation: $0.generation) }
    }

    /// Wakes every waiter for any of `keys`, and waiters for any key.
    public func ring(_ keys: some Sequence<String>) {
        // An array, not a set: a ring names a key or a few, and hashing them into a set was most
        // of an enqueue's ring.
        let keys = Array(keys)
        let woken = state.withLock { state -> [Waiter] in
            state.generation += 1
            for key in keys { state.lastRing[key] = state.generation }
            state.lastRingAny = state.generation
            let matching = state.waiters.compactMap { id, waiter in
                (waiter.keys.map { wanted in keys.contains(where: wanted.contains) } ?? true) ? id : nil
            }
            return matching.compactMap { state.waiters.removeValue(forKey: $0) }
        }
        for waiter in woken { waiter.continuation.resume(returning: true) }
    }

    /// Wakes every waiter, whatever it waits for (used to stop idle loops at shutdown).
    public func ringAll() {
        let woken = state.withLock { state -> [Waiter] in
            state.generation += 1
            state.lastRingAll = state.generation
            state.lastRingAny = state.generation
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.continuation.resume(returning: true) }
    }

    /// Waits until a ring for one of `keys` (any key when nil) that came after `ticket`, until
    /// `timeout` has passed (never when nil), or until the task is cancelled. Returns whether it
    /// was rung.
    public func wait(for keys: Set<String>?, after ticket: Ticket, timeout: Duration?) async -> Bool {
        if state.withLock({ $0.rang(for: keys, after: ticket) }) { return true }
        guard let timeout else { return await waitForRing(keys, after: ticket) }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForRing(keys, after: ticket) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let rung = await group.next() ?? false
            group.cancelAll()
            return rung
        }
    }

    private func waitForRing(_ keys: Set<String>?, after ticket: Ticket) async -> Bool {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            state.arriving.insert(state.nextWaiterID)
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate = state.withLock { state -> Bool? in
                    state.arriving.remove(id)
                    if state.cancelledBeforeWaiting.remove(id) != nil { return false }
                    if state.rang(for: keys, after: ticket) { return true }
                    state.waiters[id] = Waiter(keys: keys, continuation: continuation)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                // Cancelled before the continuation was stored: leave a note so it resumes at once.
                if state.arriving.contains(id) { state.cancelledBeforeWaiting.insert(id) }
                return nil
            }
            waiter?.continuation.resume(returning: false)
        }
    }
}
