import ConveyorCore
import Testing

@Suite("Job states and transitions")
struct JobStateTests {
    /// The lifecycle of DESIGN.md, written out independently of `JobState.target(of:)`.
    static let legal: [JobState: [JobEvent: JobState]] = [
        .scheduled: [.claim: .running, .cancel: .cancelled],
        .available: [.claim: .running, .cancel: .cancelled],
        .retryable: [.claim: .running, .cancel: .cancelled],
        .running: [
            .heartbeat: .running, .complete: .completed, .failRetryable: .retryable, .failDead: .dead,
            .rescueRetryable: .retryable, .rescueDead: .dead, .release: .available, .releaseLater: .scheduled,
            .cancel: .cancelled,
        ],
        .dead: [.replay: .available, .replayLater: .scheduled],
        .completed: [:],
        .cancelled: [:],
    ]

    static let events: [JobEvent] = [
        .claim, .heartbeat, .complete, .failRetryable, .failDead, .release, .releaseLater, .rescueRetryable,
        .rescueDead,
        .cancel, .replay, .replayLater, .purge,
    ]

    @Test("every state's exits are exactly the documented ones", arguments: JobState.allCases)
    func exits(_ state: JobState) {
        for event in Self.events {
            #expect(state.target(of: event) == Self.legal[state]?[event], "\(state) on \(event)")
        }
    }

    @Test("finished states are completed, dead and cancelled")
    func finished() {
        #expect(JobState.allCases.filter(\.isFinished) == [.completed, .dead, .cancelled])
    }
}
