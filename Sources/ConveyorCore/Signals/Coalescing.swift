import Synchronization

/// Coalescing makes concurrent calls with the same key into one call for all of them: the first
/// call of a key goes at once; those that arrive while it runs wait, and go together as the next
/// call, for as many as they are. An idle key therefore adds no delay, and a busy one makes one
/// call per round trip instead of one per caller — while different keys never wait for each other.
/// (`GroupCommit` is the same idea for one writer of many keys.) Calls with one key must be
/// interchangeable: each round runs the closure of whichever caller arrived first.
public final class Coalescing<Key: Hashable & Sendable, Output: Sendable>: Sendable {
    /// Makes `count` calls' outputs, one per call, in order.
    public typealias Call = @Sendable (_ count: Int) async throws -> [Output]
    private typealias Done = @Sendable (Result<Output, any Error>) -> Void

    /// A caller's turn: to make the call, or its output made by another's.
    private enum Turn: Sendable {
        case lead
        case made(Result<Output, any Error>)
    }

    /// A key is present while a call of it runs; its value are the callers waiting for the next.
    private let waiting = Mutex<[Key: [Done]]>([:])

    public init() {}

    /// How many callers of `key` wait for its next call.
    public func waiting(for key: Key) -> Int {
        waiting.withLock { $0[key]?.count ?? 0 }
    }

    /// The output of `call` for this caller, made alone or together with other callers of `key`.
    public func run(_ key: Key, _ call: @escaping Call) async throws -> Output {
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let leads = waiting.withLock { waiting -> Bool in
                guard waiting[key] != nil else {
                    waiting[key] = []
                    return true
                }
                waiting[key]?.append { continuation.resume(returning: .made($0)) }
                return false
            }
            if leads { continuation.resume(returning: .lead) }
        }
        switch turn {
        case .made(let result):
            return try result.get()
        case .lead:
            let made = await Self.outputs(of: call, count: 1)
            passOn(key, call)
            return try made[0].get()
        }
    }

    /// Runs the next round of `key` for those waiting, in a task of its own (their own requests go
    /// on while it runs), and so on until no one waits.
    private func passOn(_ key: Key, _ call: @escaping Call) {
        let next = waiting.withLock { waiting -> [Done] in
            let next = waiting[key] ?? []
            waiting[key] = next.isEmpty ? nil : []
            return next
        }
        guard !next.isEmpty else { return }
        Task {
            let made = await Self.outputs(of: call, count: next.count)
            for (done, result) in zip(next, made) { done(result) }
            self.passOn(key, call)
        }
    }

    private static func outputs(of call: Call, count: Int) async -> [Result<Output, any Error>] {
        do {
            let outputs = try await call(count)
            guard outputs.count == count else {
                return Array(
                    repeating: .failure(CoalescingMismatch(expected: count, made: outputs.count)), count: count)
            }
            return outputs.map { .success($0) }
        } catch {
            return Array(repeating: .failure(error), count: count)
        }
    }
}

/// CoalescingMismatch is every caller's error when a call made a different number of outputs than
/// it was asked for.
public struct CoalescingMismatch: Error, CustomStringConvertible {
    let expected: Int
    let made: Int
    public var description: String { "a coalesced call made \(made) outputs for \(expected) callers" }
}
