import Synchronization

/// Coalescing makes concurrent calls with the same key into one call for all of them: the first
/// call of a key goes at once, alone; those that arrive while it runs wait, and go together as
/// the next call, with all their inputs, made by the first of them. An idle key therefore adds no
/// delay, and a busy one makes one call per round trip instead of one per caller. It is
/// `GroupCommit` without a task of its own: the callers take turns making the calls, so nothing
/// outlives them. Calls with one key must be interchangeable: each round runs the closure of the
/// caller making it.
public final class Coalescing<Key: Hashable & Sendable, Input: Sendable, Output: Sendable>: Sendable {
    /// Makes the outputs of the inputs given, one per input, in order.
    public typealias Call = @Sendable (_ inputs: [Input]) async throws -> [Output]
    private typealias Waiter = (input: Input, turn: CheckedContinuation<Turn, Never>)

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

    /// The output of `call` for this caller's input, made alone or together with other callers of
    /// `key`.
    public func run(_ key: Key, _ input: Input, _ call: Call) async throws -> Output {
        while true {
            let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
                let leads = waiting.withLock { waiting -> Bool in
                    guard waiting[key] != nil else {
                        waiting[key] = []
                        return true
                    }
                    waiting[key]?.append((input, continuation))
                    return false
                }
                if leads { continuation.resume(returning: .lead(followers: [])) }
            }
            switch turn {
            case .made(.failure(let error)) where error is CancellationError && !Task.isCancelled:
                // The caller that made the call went away (its request was cancelled), not this
                // one: go again.
                continue
            case .made(let result):
                return try result.get()
            case .lead(let followers):
                let made = await Self.outputs(of: call, for: [input] + followers.map(\.input))
                for (follower, result) in zip(followers, made.dropFirst()) {
                    follower.turn.resume(returning: .made(result))
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
        first.turn.resume(returning: .lead(followers: Array(next.dropFirst())))
    }

    private static func outputs(of call: Call, for inputs: [Input]) async -> [Result<Output, any Error>] {
        do {
            let outputs = try await call(inputs)
            guard outputs.count == inputs.count else {
                let mismatch = CoalescingMismatch(expected: inputs.count, made: outputs.count)
                return Array(repeating: .failure(mismatch), count: inputs.count)
            }
            return outputs.map { .success($0) }
        } catch {
            return Array(repeating: .failure(error), count: inputs.count)
        }
    }
}

/// CoalescingMismatch is every caller's error when a call made a different number of outputs than
/// it was given inputs.
public struct CoalescingMismatch: Error, CustomStringConvertible {
    let expected: Int
    let made: Int
    public var description: String { "a coalesced call made \(made) outputs for \(expected) inputs" }
}
