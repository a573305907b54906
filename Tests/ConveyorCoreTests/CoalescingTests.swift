import ConveyorCore
import Synchronization
import Testing

@Suite("Coalescing concurrent calls per key")
struct CoalescingTests {
    /// A call that blocks until opened, and says when it began and with which inputs.
    final class Gate: Sendable {
        private let counts = Mutex<[Int]>([])
        private let opened = Mutex<CheckedContinuation<Void, Never>?>(nil)
        private let began: AsyncStream<Void>
        private let beganContinuation: AsyncStream<Void>.Continuation

        init() { (began, beganContinuation) = AsyncStream.makeStream() }

        var callCounts: [Int] { counts.withLock { $0 } }

        /// The first call waits for `open()`; later calls answer at once, each output its input
        /// with the call's number.
        func call(_ inputs: [Int], label: String) async -> [String] {
            let first = counts.withLock { counts in
                counts.append(inputs.count)
                return counts.count == 1
            }
            if first {
                await withCheckedContinuation { continuation in
                    opened.withLock { $0 = continuation }
                    beganContinuation.yield()
                }
            }
            return inputs.map { "\(label) \(counts.withLock { $0.count }).\($0)" }
        }

        func waitUntilBegun() async { for await _ in began { return } }

        func open() { opened.withLock { $0?.resume() } }
    }

    func waitFor(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "timed out")
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    @Test("callers arriving while a key's call runs go together in the next call; another key does not wait")
    func together() async throws {
        let coalescing = Coalescing<String, Int, String>()
        let gate = Gate()
        async let first = coalescing.run("acme", 0) { await gate.call($0, label: "acme") }
        await gate.waitUntilBegun()
        let followers = Task {
            try await withThrowingTaskGroup(of: String.self) { group in
                for input in 1...5 {
                    group.addTask { try await coalescing.run("acme", input) { await gate.call($0, label: "acme") } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        try await waitFor { coalescing.waiting(for: "acme") == 5 }
        // Another key's call goes at once while acme's is held.
        let other = try await coalescing.run("globex", 9) { inputs in inputs.map { "globex \($0)" } }
        #expect(other == "globex 9")
        gate.open()
        #expect(try await first == "acme 1.0")
        let made = try await followers.value
        #expect(gate.callCounts == [1, 5])
        #expect(Set(made) == Set((1...5).map { "acme 2.\($0)" }), "each caller gets its own input's output")
        #expect(coalescing.waiting(for: "acme") == 0)
        // Idle again: the next caller goes alone.
        #expect(try await coalescing.run("acme", 7) { await gate.call($0, label: "acme") } == "acme 3.7")
    }

    @Test("a call's error is every one of its callers'; a call that makes too few outputs fails them all")
    func errors() async throws {
        struct Refused: Error {}
        let coalescing = Coalescing<String, Int, Int>()
        await #expect(throws: Refused.self) { try await coalescing.run("acme", 1) { _ in throw Refused() } }
        await #expect(throws: CoalescingMismatch.self) { try await coalescing.run("acme", 1) { _ in [] } }
        #expect(try await coalescing.run("acme", 7) { inputs in inputs.map { $0 * 2 } } == 14)
    }
}
