import Testing

@testable import ConveyorWorker

@Suite("Attempt endings (pure)")
struct AttemptEndingTests {
    struct Boom: Error, CustomStringConvertible {
        var description: String { "disk on fire" }
    }

    @Test("each way a handler ends maps to one outcome")
    func outcomes() {
        #expect(AttemptEnding.returned(nil).outcome == .complete(result: nil))
        #expect(AttemptEnding.threw(Boom()).outcome == .fail(message: "disk on fire", retryable: true))
        #expect(
            AttemptEnding.threw(NonRetryableError("bad input")).outcome == .fail(message: "bad input", retryable: false)
        )
        #expect(AttemptEnding.threw(JobSnooze(for: .seconds(5))).outcome == .release(after: .seconds(5)))
        #expect(AttemptEnding.threw(JobSnooze(for: .seconds(-5))).outcome == .release(after: .zero))
        #expect(AttemptEnding.timedOut(.seconds(90)).outcome == .fail(message: "timed out after 90 s", retryable: true))
        #expect(
            AttemptEnding.timedOut(.milliseconds(1500)).outcome
                == .fail(message: "timed out after 1.5 s", retryable: true))
        #expect(AttemptEnding.interrupted.outcome == .release(after: .zero))
        #expect(AttemptEnding.leaseLost.outcome == .discard)
    }
}
