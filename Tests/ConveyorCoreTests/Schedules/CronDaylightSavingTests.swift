import ConveyorCore
import Foundation
import Testing

/// Daylight-saving behaviour with real zones: 2026-03-29 and 2026-10-25 in Europe/Berlin (02:00 CET → 03:00 CEST,
/// 03:00 CEST → 02:00 CET), 2026-03-08 and 2026-11-01 in America/New_York, and the southern hemisphere.
@Suite("Daylight-saving time")
struct CronDaylightSavingTests {
    @Test func berlinSpringForwardFiresSkippedTimeOnceAtTheChange() throws {
        // 02:30 does not exist on 29 March; it fires at 03:00 CEST (01:00Z), once.
        #expect(
            try nextTicks("30 2 * * *", "Europe/Berlin", after: "2026-03-28T00:00:00Z", count: 3) == [
                "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z",
            ])
        #expect(
            try nextTicks("0 2 * * *", "Europe/Berlin", after: "2026-03-28T12:00:00Z", count: 2) == [
                "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z",
            ])
        // Times on either side of the gap are ordinary.
        #expect(
            try nextTicks("59 1 * * *", "Europe/Berlin", after: "2026-03-28T12:00:00Z", count: 1) == [
                "2026-03-29T00:59:00Z"
            ])
        #expect(
            try nextTicks("0 3 * * *", "Europe/Berlin", after: "2026-03-28T12:00:00Z", count: 1) == [
                "2026-03-29T01:00:00Z"
            ])
    }

    @Test func startingAtTheChangeItselfIsStrict() throws {
        #expect(
            try nextTicks("30 2 * * *", "Europe/Berlin", after: "2026-03-29T00:59:59Z", count: 1) == [
                "2026-03-29T01:00:00Z"
            ])
        #expect(
            try nextTicks("30 2 * * *", "Europe/Berlin", after: "2026-03-29T01:00:00Z", count: 1) == [
                "2026-03-30T00:30:00Z"
            ])
    }

    @Test func berlinFallBackFiresRepeatedTimeOnlyTheFirstTime() throws {
        // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET); only the first one fires.
        #expect(
            try nextTicks("30 2 * * *", "Europe/Berlin", after: "2026-10-24T00:00:00Z", count: 3) == [
                "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z",
            ])
        // Asking from inside the second pass must not fire 02:30 again.
        #expect(
            try nextTicks("30 2 * * *", "Europe/Berlin", after: "2026-10-25T01:10:00Z", count: 1) == [
                "2026-10-26T01:30:00Z"
            ])
    }

    @Test func everyQuarterHourAcrossBothBerlinChanges() throws {
        // 02:00, 02:15, 02:30, 02:45 and 03:00 collapse into one fire at 03:00 CEST.
        #expect(
            try nextTicks("*/15 * * * *", "Europe/Berlin", after: "2026-03-29T00:30:00Z", count: 4) == [
                "2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z",
            ])
        // The second pass through 02:00–02:59 (01:00Z–01:59Z) fires nothing.
        #expect(
            try nextTicks("*/15 * * * *", "Europe/Berlin", after: "2026-10-25T00:30:00Z", count: 4) == [
                "2026-10-25T00:45:00Z", "2026-10-25T02:00:00Z", "2026-10-25T02:15:00Z", "2026-10-25T02:30:00Z",
            ])
    }

    @Test func hourlyAcrossBerlinChanges() throws {
        #expect(
            try nextTicks("0 * * * *", "Europe/Berlin", after: "2026-03-28T23:30:00Z", count: 3) == [
                "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z",
            ])
        // The repeated 02:00 fires once, at 00:00Z.
        #expect(
            try nextTicks("0 * * * *", "Europe/Berlin", after: "2026-10-24T22:30:00Z", count: 4) == [
                "2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z",
            ])
    }

    @Test func secondsInsideTheGapCollapseToo() throws {
        #expect(
            try nextTicks("*/20 * 2 * * *", "Europe/Berlin", after: "2026-03-29T00:59:00Z", count: 2) == [
                "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z",
            ])
        #expect(
            try nextTicks("30 59 1 * * *", "Europe/Berlin", after: "2026-03-29T00:00:00Z", count: 1) == [
                "2026-03-29T00:59:30Z"
            ])
    }

    @Test func newYorkChanges() throws {
        // 2026-03-08: 02:00 EST → 03:00 EDT at 07:00Z.
        #expect(
            try nextTicks("30 2 * * *", "America/New_York", after: "2026-03-07T12:00:00Z", count: 2) == [
                "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z",
            ])
        #expect(
            try nextTicks("*/15 * * * *", "America/New_York", after: "2026-03-08T06:40:00Z", count: 3) == [
                "2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z",
            ])
        // 2026-11-01: 02:00 EDT → 01:00 EST at 06:00Z; 01:30 EDT (05:30Z) fires, 01:30 EST (06:30Z) does not.
        #expect(
            try nextTicks("30 1 * * *", "America/New_York", after: "2026-10-31T12:00:00Z", count: 2) == [
                "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z",
            ])
        #expect(
            try nextTicks("0 * * * *", "America/New_York", after: "2026-11-01T03:30:00Z", count: 4) == [
                "2026-11-01T04:00:00Z", "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z",
            ])
    }

    @Test func southernHemisphereAndOddOffsets() throws {
        // Sydney springs forward on 2026-10-04 at 02:00 AEST (16:00Z the day before) and falls back on 2026-04-05.
        #expect(
            try nextTicks("30 2 * * *", "Australia/Sydney", after: "2026-10-03T00:00:00Z", count: 2) == [
                "2026-10-03T16:00:00Z", "2026-10-04T15:30:00Z",
            ])
        #expect(
            try nextTicks("30 2 * * *", "Australia/Sydney", after: "2026-04-04T00:00:00Z", count: 2) == [
                "2026-04-04T15:30:00Z", "2026-04-05T16:30:00Z",
            ])
        // Chatham (+12:45/+13:45) skips 02:45–03:44 on 2026-09-27 at 14:00Z.
        #expect(
            try nextTicks("0 3 * * *", "Pacific/Chatham", after: "2026-09-26T00:00:00Z", count: 2) == [
                "2026-09-26T14:00:00Z", "2026-09-27T13:15:00Z",
            ])
        // Kolkata (+05:30, no daylight saving) is a plain offset.
        #expect(
            try nextTicks("0 9 * * *", "Asia/Kolkata", after: "2026-03-29T00:00:00Z", count: 1) == [
                "2026-03-29T03:30:00Z"
            ])
    }

    @Test func intervalsIgnoreTheZone() throws {
        let cron = try CronExpression("@every 1h")
        let start = try instant("2026-03-29T00:30:00Z")
        let expected = ["2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z", "2026-03-29T03:00:00Z"]
        for name in ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"] {
            #expect(cron.nextTicks(after: start, in: try zone(name), count: 3).map(iso) == expected)
        }
        let autumn = try instant("2026-10-25T00:30:00Z")
        #expect(
            cron.nextTicks(after: autumn, in: try zone("Europe/Berlin"), count: 3).map(iso) == [
                "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z",
            ])
    }
}
