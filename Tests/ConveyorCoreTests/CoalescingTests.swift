import ConveyorCore
import Synchronization
import Testing

@Suite("Coalescing concurrent calls per key")
struct CoalescingTests {
    /// A call that blocks until opened, and says when it began and for how many callers.
    final class Gate: Sendable {
        private let counts = Mutex<[Int]>([])
        private let opened = Mutex<CheckedContinuation<Void, Never>?>(nil)
        private let began: AsyncStream<Void>
        private let beganContinuation: AsyncStream<Void>.Continuation

        init() { (began, beganContinuation) = AsyncStream.makeStream() }

        var callCounts: [Int] { counts.withLock { $0 } }

        /// The first call waits for `open()`; later calls answer at once.
        func call(_ count: Int, label: String) async -> [String] {
            let first = counts.withLock { counts in
                counts.append(count)
                return counts.count == 1
            }
            if first {
                await withCheckedContinuation { continuation in
                    opened.withLock { $0 = continuation }
                    beganContinuation.yield()
                }
            }
            return (0..<count).map { "\(label) \(counts.withLock { $0.count }).\($0)" }
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
        let coalescing = Coalescing<String, String>()
        let gate = Gate()
        async let first = coalescing.run("acme") { await gate.call($0, label: "acme") }
        await gate.waitUntilBegun()
        let followers = Task {
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<5 {
                    group.addTask { try await coalescing.run("acme") { await gate.call($0, label: "acme") } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        try await waitFor { coalescing.waiting(for: "acme") == 5 }
        // Another key's call goes at once while acme's is held.
        let other = try await coalescing.run("globex") { count in (0..<count).map { "globex \($0)" } }
        #expect(other == "globex 0")
        gate.open()
        #expect(try await first == "acme 1.0")
        let made = try await followers.value
        #expect(gate.callCounts == [1, 5])
        #expect(Set(made) == Set((0..<5).map { "acme 2.\($0)" }))
        #expect(coalescing.waiting(for: "acme") == 0)
        // Idle again: the next caller goes alone.
        #expect(try await coalescing.run("acme") { await gate.call($0, label: "acme") } == "acme 3.0")
    }

    @Test("a call's error is every one of its callers'; a call that makes too few outputs fails them all")
    func errors() async throws {
        struct Refused: Error {}
        let coalescing = Coalescing<String, Int>()
        await #expect(throws: Refused.self) { try await coalescing.run("acme") { _ in throw Refused() } }
        await #expect(throws: CoalescingMismatch.self) { try await coalescing.run("acme") { _ in [] } }
        #expect(try await coalescing.run("acme") { count in Array(repeating: 7, count: count) } == 7)
    }
}
