import ConveyorCore
import ConveyorTestSupport
import Synchronization
import Testing

@Suite("abandoning: a bound for calls that may never return")
struct AbandoningTests {
    @Test("the operation's result or error comes back as it is")
    func passesThrough() async throws {
        #expect(try await abandoning(after: .seconds(60)) { 42 } == 42)
        await #expect(throws: DeadlineExceeded.self) {
            try await abandoning(after: .seconds(60)) { throw DeadlineExceeded(timeout: .zero) }
        }
    }

    @Test("an operation that never returns is abandoned at the deadline, and cancelled")
    func neverReturns() async throws {
        let cancelled = Mutex(false)
        let stuck = Mutex<CheckedContinuation<Void, Never>?>(nil)
        await #expect(throws: DeadlineExceeded.self) {
            try await abandoning(after: .milliseconds(20)) {
                // Ignores cancellation, as a query lost on a closed connection did.
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in stuck.withLock { $0 = continuation } }
                } onCancel: {
                    cancelled.withLock { $0 = true }
                }
            }
        }
        try await poll("the abandoned operation to be cancelled") { cancelled.withLock { $0 } }
        stuck.withLock { $0?.resume() }
    }

    @Test("a cancelled caller stops waiting at once")
    func callerCancelled() async throws {
        let waiting = Task {
            try await abandoning(after: .seconds(3600)) { try await Task.sleep(for: .seconds(3600)) }
        }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }
}
