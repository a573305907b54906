import ConveyorCore
import Foundation
import Testing

/// The Vixie rule for combining day-of-month and day-of-week, and schedules whose ticks are years apart.
@Suite("Day rule and long gaps")
struct CronDayRuleTests {
    @Test func bothRestrictedMeansEitherMatches() throws {
        // April 2026: Fridays are 3, 10, 17, 24; the 13th is a Monday and fires too.
        #expect(
            try nextTicks("0 0 13 * FRI", "UTC", after: "2026-04-01T00:00:00Z", count: 6) == [
                "2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z", "2026-04-13T00:00:00Z", "2026-04-17T00:00:00Z",
                "2026-04-24T00:00:00Z", "2026-05-01T00:00:00Z",
            ])
        // The classic surprise: days 1–7 and every Monday, not "the first Monday".
        #expect(
            try nextTicks("0 0 1-7 * MON", "UTC", after: "2026-05-31T00:00:00Z", count: 9) == [
                "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z", "2026-06-04T00:00:00Z",
                "2026-06-05T00:00:00Z", "2026-06-06T00:00:00Z", "2026-06-07T00:00:00Z", "2026-06-08T00:00:00Z",
                "2026-06-15T00:00:00Z",
            ])
    }

    @Test func starLedFieldMeansBothMustMatch() throws {
        // `*/2` starts with `*`, so only odd days that are Fridays fire.
        #expect(
            try nextTicks("0 0 */2 * FRI", "UTC", after: "2026-04-01T00:00:00Z", count: 5) == [
                "2026-04-03T00:00:00Z", "2026-04-17T00:00:00Z", "2026-05-01T00:00:00Z", "2026-05-15T00:00:00Z",
                "2026-05-29T00:00:00Z",
            ])
        // A star-led day-of-week restricts day-of-month the same way: 13ths that fall on Sunday, Tuesday,
        // Thursday or Saturday. In 2026 the 13ths from February to September fall on Fri, Fri, Mon, Wed, Sat, Mon,
        // Thu, Sun.
        #expect(
            try nextTicks("0 0 13 * */2", "UTC", after: "2026-02-01T00:00:00Z", count: 3) == [
                "2026-06-13T00:00:00Z", "2026-08-13T00:00:00Z", "2026-09-13T00:00:00Z",
            ])
        #expect(
            try nextTicks("0 0 13 * *", "UTC", after: "2026-04-01T00:00:00Z", count: 2) == [
                "2026-04-13T00:00:00Z", "2026-05-13T00:00:00Z",
            ])
        #expect(
            try nextTicks("0 0 * * FRI", "UTC", after: "2026-04-01T00:00:00Z", count: 2) == [
                "2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z",
            ])
    }

    @Test func sundayAsZeroAndSevenTickAlike() throws {
        let start = "2026-01-01T00:00:00Z"
        let zero = try nextTicks("0 0 * * 0", "Europe/Berlin", after: start, count: 10)
        #expect(try nextTicks("0 0 * * 7", "Europe/Berlin", after: start, count: 10) == zero)
        #expect(try nextTicks("0 0 * * SUN", "Europe/Berlin", after: start, count: 10) == zero)
        #expect(try nextTicks("@weekly", "Europe/Berlin", after: start, count: 10) == zero)
        #expect(zero.first == "2026-01-03T23:00:00Z")
    }

    @Test func leapDayAcrossANonLeapCentury() throws {
        // 2100 is not a leap year, so after 2096 the next 29 February is in 2104.
        #expect(
            try nextTicks("0 0 29 2 *", "UTC", after: "2097-03-01T00:00:00Z", count: 1) == [
                "2104-02-29T00:00:00Z"
            ])
        #expect(
            try nextTicks("0 0 29 2 *", "Europe/Berlin", after: "2024-03-01T00:00:00Z", count: 2) == [
                "2028-02-28T23:00:00Z", "2032-02-28T23:00:00Z",
            ])
    }

    /// The first date after `start` (UTC, whole days) satisfying `predicate`, found by stepping through days with
    /// Foundation's calendar so it is independent of the code under test.
    private func bruteForceDay(after start: String, _ predicate: (DateComponents) -> Bool) throws -> String? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try zone("UTC")
        var day = try instant(start)
        for _ in 0..<(200 * 366) {
            day = try #require(calendar.date(byAdding: .day, value: 1, to: day))
            if predicate(calendar.dateComponents([.day, .month, .weekday], from: day)) { return iso(day) }
        }
        return nil
    }

    @Test func rareCombinationsAreFoundDecadesAhead() throws {
        // 29 February on a Sunday (`*/7` selects only Sunday): 2032, then 2060, 2088 and, skipping 2100, 2128.
        let leapSundays = try nextTicks("0 0 29 2 */7", "UTC", after: "2030-01-01T00:00:00Z", count: 4)
        var expected: [String] = []
        var from = "2030-01-01T00:00:00Z"
        for _ in 0..<4 {
            let next = try #require(try bruteForceDay(after: from) { $0.day == 29 && $0.month == 2 && $0.weekday == 1 })
            expected.append(next)
            from = next
        }
        #expect(leapSundays == expected)
        #expect(expected.last == "2128-02-29T00:00:00Z")

        // The first of the month on a Friday (`*/31` is day 1 only and starts with `*`).
        let fridayFirsts = try nextTicks("0 0 */31 * 5", "UTC", after: "2026-01-01T00:00:00Z", count: 3)
        var firsts: [String] = []
        from = "2026-01-01T00:00:00Z"
        for _ in 0..<3 {
            let next = try #require(try bruteForceDay(after: from) { $0.day == 1 && $0.weekday == 6 })
            firsts.append(next)
            from = next
        }
        #expect(fridayFirsts == firsts)
    }

    @Test func extremeInstantsDoNotCrash() throws {
        let cron = try CronExpression("0 0 29 2 *")
        let utc = try zone("UTC")
        // Ticks after the end of year 9999 are reported as none rather than computed.
        #expect(cron.nextTick(after: Date(timeIntervalSince1970: 1e300), in: utc) == nil)
        #expect(cron.nextTick(after: Date(timeIntervalSince1970: .nan), in: utc) == nil)
        #expect(cron.nextTick(after: Date(timeIntervalSince1970: 253_402_300_000), in: utc) == nil)
        #expect(try CronExpression("@every 1s").nextTick(after: Date(timeIntervalSince1970: 1e300), in: utc) == nil)
        #expect(cron.nextTick(after: .distantFuture, in: utc).map(iso) == "4004-02-29T00:00:00Z")
        // Instants before year 1 are clamped, so asking "from the beginning of time" still yields a tick.
        #expect(cron.nextTick(after: Date(timeIntervalSince1970: -1e300), in: utc) != nil)
        #expect(cron.nextTick(after: .distantPast, in: utc) != nil)
    }
}
