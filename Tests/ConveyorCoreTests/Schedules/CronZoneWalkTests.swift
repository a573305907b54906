import Foundation
import Testing

@testable import ConveyorCore

/// The walk over a zone's offset changes, including zones whose changes are not reported.
@Suite("Zone walk")
struct CronZoneWalkTests {
    /// Berlin's offsets around 2026: CET until 2026-03-29T01:00Z, CEST until 2026-10-25T01:00Z, then CET.
    static func berlinOffset(_ instant: Int) -> Int {
        instant < 1_774_746_000 ? 3600 : instant < 1_792_890_000 ? 7200 : 3600
    }

    private func calendarFields(_ text: String) throws -> CronCalendarFields {
        guard case .calendar(let fields) = try CronExpression(text).schedule else {
            throw CancellationError()
        }
        return fields
    }

    @Test(
        arguments: [
            ("30 2 * * *", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z"),
            ("*/15 * * * *", "2026-03-29T00:50:00Z", "2026-03-29T01:00:00Z"),
            ("30 2 * * *", "2026-10-25T00:40:00Z", "2026-10-26T01:30:00Z"),
            ("0 * * * *", "2026-10-25T00:10:00Z", "2026-10-25T02:00:00Z"),
            ("0 12 * * *", "2026-06-01T00:00:00Z", "2026-06-01T10:00:00Z"),
        ] as [(String, String, String)])
    func unreportedChangesAreFoundByChecking(_ text: String, _ after: String, _ expected: String) throws {
        let fields = try calendarFields(text)
        let earliest = Int(try instant(after).timeIntervalSince1970) + 1
        let silent = CronZoneWalk(fields: fields, offset: Self.berlinOffset, reportedTransition: { _ in nil })
        let tick = try #require(silent.firstTick(atOrAfter: earliest))
        #expect(iso(Date(timeIntervalSince1970: TimeInterval(tick))) == expected)

        // The real zone, which reports its changes, agrees.
        let real = try CronExpression(text).nextTick(after: try instant(after), in: try zone("Europe/Berlin"))
        #expect(real.map(iso) == expected)
    }

    @Test func aSkippedDayFiresOnceAtTheChange() throws {
        // Samoa moved across the date line: 2011-12-29 24:00 (-10:00) was followed by 2011-12-31 00:00 (+14:00),
        // at 2011-12-30T10:00Z. Noon on the skipped 30 December fires once, at the change.
        #expect(
            try nextTicks("0 12 * * *", "Pacific/Apia", after: "2011-12-29T00:00:00Z", count: 3) == [
                "2011-12-29T22:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T22:00:00Z",
            ])
    }
}
