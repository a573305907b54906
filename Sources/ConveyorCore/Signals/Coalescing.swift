import Synchronization

/// Coalescing makes concurrent calls with the same key into one call for all of them: the first
/// call of a key goes at once; those that arrive while it runs wait, and go together as the next
/// call, for as many as they are, made by the first of them. An idle key therefore adds no delay,
/// and a busy one makes one call per round trip instead of one per caller — while different keys
/// never wait for each other. (`GroupCommit` is the same idea for one writer of many keys.) Calls
/// with one key must be interchangeable: each round runs the closure of the caller making it.
public final class Coalescing<Key: Hashable & Sendable, Output: Sendable>: Sendable {
    /// Makes `count` calls' outputs, one per call, in order.
    public typealias Call = @Sendable (_ count: Int) async throws -> [Output]
    private typealias Waiter = CheckedContinuation<Turn, Never>

    /// A caller's turn: to make the call for itself and those that wait with it, or its output,
    /// made by another.
    private enum Turn: Sendable {
        case lead(followers: [Waiter])
        case made(Result<Output, any Error>)
    }

    /// A key is present while a call of it runs; its value are the callers waiting for the next.
    private let waiting = Mutex<[Key: [Waiter]]>([:])

    public init() {}

    /// How many callers of `key` wait for its next call.
    public func waiting(for key: Key) -> Int {
        waiting.withLock { $0[key]?.count ?? 0 }
    }

    /// The output of `call` for this caller, made alone or together with other callers of `key`.
    public func run(_ key: Key, _ call: Call) async throws -> Output {
        while true {
            let turn = await withCheckedContinuation { (waiter: Waiter) in
                let leads = waiting.withLock { waiting -> Bool in
                    guard waiting[key] != nil else {
                        waiting[key] = []
                        return true
                    }
                    waiting[key]?.append(waiter)
                    return false
                }
                if leads { waiter.resume(returning: .lead(followers: [])) }
            }
            switch turn {
            case .made(.failure(let error)) where error is CancellationError && !Task.isCancelled:
                // The caller that made the call went away (its request was cancelled), not this
                // one: go again.
                continue
            case .made(let result):
                return try result.get()
            case .lead(let followers):
                let made = await Self.outputs(of: call, count: 1 + followers.count)
                for (follower, result) in zip(followers, made.dropFirst()) {
                    follower.resume(returning: .made(result))
                }
                passOn(key)
                return try made[0].get()
            }
        }
    }

    /// Hands the next call of `key` to the first of those waiting, with the others as its
    /// followers; with no one waiting, the key is idle again.
    private func passOn(_ key: Key) {
        let next = waiting.withLock { waiting -> [Waiter] in
            let next = waiting[key] ?? []
            waiting[key] = next.isEmpty ? nil : []
            return next
        }
        guard let first = next.first else { return }
        first.resume(returning: .lead(followers: Array(next.dropFirst())))
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
