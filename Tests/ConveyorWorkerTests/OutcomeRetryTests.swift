import ConveyorCore
import Testing

@testable import ConveyorWorker

@Suite("Outcome retries (pure)")
struct OutcomeRetryTests {
    @Test("only an unavailable store or no answer is retried; a refusal is final")
    func transient() throws {
        let id = JobID.generate(at: .now)
        #expect(OutcomeRetry.isTransient(JobStoreError.unavailable(reason: "connection reset")))
        #expect(OutcomeRetry.isTransient(DeadlineExceeded(timeout: .seconds(1))))
        #expect(!OutcomeRetry.isTransient(JobStoreError.leaseLost(id: id)))
        #expect(!OutcomeRetry.isTransient(JobStoreError.notFound(id: id)))
        #expect(!OutcomeRetry.isTransient(CancellationError()))
    }

    @Test("pauses double from 50 ms up to 2 s, and stop where the lease may end")
    func schedule() {
        let retry = OutcomeRetry(lease: .seconds(30), heartbeatInterval: .seconds(10))
        #expect(retry.window == .seconds(20), "the last renewal holds the lease for the lease less one interval")
        #expect(retry.pause(beforeRetry: 1, elapsed: .zero) == .milliseconds(50))
        #expect(retry.pause(beforeRetry: 2, elapsed: .zero) == .milliseconds(100))
        #expect(retry.pause(beforeRetry: 6, elapsed: .zero) == .milliseconds(1600))
        #expect(retry.pause(beforeRetry: 7, elapsed: .zero) == .seconds(2))
        #expect(retry.pause(beforeRetry: 40, elapsed: .zero) == .seconds(2))
        #expect(retry.pause(beforeRetry: 3, elapsed: .seconds(19)) == .milliseconds(200))
        #expect(retry.pause(beforeRetry: 7, elapsed: .seconds(19)) == nil, "a try after the window would be refused")
        #expect(retry.timeout(elapsed: .seconds(5)) == .seconds(15))
        #expect(retry.timeout(elapsed: .seconds(25)) == .milliseconds(100))
    }
}
