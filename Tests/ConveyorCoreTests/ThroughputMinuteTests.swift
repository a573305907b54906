import ConveyorCore
import Foundation
import Testing

@Suite("Throughput minutes")
struct ThroughputMinuteTests {
    let now = Date(timeIntervalSince1970: 1_800_000_030)

    func minute(_ ago: Int, completed: Int) -> ThroughputMinute {
        ThroughputMinute(
            minute: ThroughputMinute.start(of: now).addingTimeInterval(Double(-60 * ago)), customer: "acme",
            completed: completed)
    }

    @Test("moving the hour forward keeps the minutes already counted, drops those past the hour, takes the fresh ones")
    func merge() {
        let hour = now.addingTimeInterval(-3600)
        let from = ThroughputMinute.start(of: now).addingTimeInterval(-60)
        let kept = [
            minute(70, completed: 9), minute(30, completed: 3), minute(1, completed: 1), minute(0, completed: 1),
        ]
        let fresh = [minute(1, completed: 4), minute(0, completed: 2)]
        #expect(
            ThroughputMinute.merge(kept: kept, fresh: fresh, from: from, hour: hour)
                == [minute(30, completed: 3), minute(1, completed: 4), minute(0, completed: 2)])
    }

    @Test("a minute starts on the minute")
    func start() {
        #expect(ThroughputMinute.start(of: now) == Date(timeIntervalSince1970: 1_800_000_000))
    }
}
