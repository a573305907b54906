import Foundation
import Testing

@testable import ConveyorCore

@Suite("Parsing cron expressions")
struct CronParsingTests {
    /// The calendar fields an expression parsed into; fails the test for an interval.
    private func fields(_ text: String) throws -> CronCalendarFields {
        guard case .calendar(let fields) = try CronExpression(text).schedule else {
            Issue.record("\(text) did not parse as a calendar expression")
            throw CancellationError()
        }
        return fields
    }

    /// The set bits of a mask, as a sorted list.
    private func values(_ mask: UInt64) -> [Int] {
        (0..<64).filter { mask & (1 << UInt64($0)) != 0 }
    }

    @Test(arguments: [
        "* * * * *", "0 0 * * *", "*/15 9-17 1,15 JAN-MAR,dec mon-fri", "5/15 * * * *", "1-10/3 * * * *",
        "0 0 * * 7", "0 0 * * 0-7", "0 0 * * MON-SUN", "30 */10 * * * *", "0 0 29 2 *", "0 0 30 2 MON",
        "0 0 31 * *", "0\t0  *\t * *", "  0 0 1 1 *  ", "@yearly", "@annually", "@monthly", "@weekly", "@daily",
        "@midnight", "@hourly", "@DAILY", "@every 30s", "@every 5m", "@every 2h", "@every 1h30m", "@every 1h0m5s",
        "@every 744h", "0 0 * * sun,Sat", "0-59/59 0-23/23 1-31/30 1-12/11 0-6/6",
    ])
    func acceptsEveryForm(_ text: String) {
        #expect(parseError(text) == nil)
    }

    @Test func keepsTheTrimmedText() throws {
        #expect(try CronExpression("  0 0 1 1 *\n").text == "0 0 1 1 *")
        #expect(try CronExpression("\t@every 5m ").text == "@every 5m")
    }

    @Test func expandsFieldsIntoValues() throws {
        let parsed = try fields("*/15 9-17 1,15 JAN-MAR,dec mon-fri")
        #expect(values(parsed.seconds) == [0])
        #expect(values(parsed.minutes) == [0, 15, 30, 45])
        #expect(values(parsed.hours) == Array(9...17))
        #expect(values(parsed.daysOfMonth) == [1, 15])
        #expect(values(parsed.months) == [1, 2, 3, 12])
        #expect(values(parsed.daysOfWeek) == [1, 2, 3, 4, 5])
        #expect(!parsed.dayOfMonthStarred && !parsed.dayOfWeekStarred)

        #expect(values(try fields("5/15 * * * *").minutes) == [5, 20, 35, 50])
        #expect(values(try fields("1-10/3 * * * *").minutes) == [1, 4, 7, 10])
        #expect(values(try fields("30 */10 * * * *").seconds) == [30])
        #expect(values(try fields("30 */10 * * * *").minutes) == [0, 10, 20, 30, 40, 50])
        #expect(values(try fields("0 0 */10 * *").daysOfMonth) == [1, 11, 21, 31])
        #expect(try fields("0 0 */10 * *").dayOfMonthStarred)
        #expect(values(try fields("0 0 * * */2").daysOfWeek) == [0, 2, 4, 6])
        #expect(values(try fields("0 0 * * 1/2").daysOfWeek) == [1, 3, 5])
        #expect(values(try fields("0 0 * * 5-7").daysOfWeek) == [0, 5, 6])
        #expect(values(try fields("0 0 * * MON-SUN").daysOfWeek) == Array(0...6))
    }

    @Test func sundayIsBothZeroAndSeven() throws {
        #expect(try fields("0 0 * * 0") == fields("0 0 * * 7"))
        #expect(try fields("0 0 * * 0") == fields("0 0 * * SUN"))
        #expect(try fields("0 0 * * 0-6") == fields("0 0 * * 1-7"))
    }

    @Test func macrosEqualTheirFields() throws {
        #expect(try fields("@yearly") == fields("0 0 1 1 *"))
        #expect(try fields("@annually") == fields("0 0 1 1 *"))
        #expect(try fields("@monthly") == fields("0 0 1 * *"))
        #expect(try fields("@weekly") == fields("0 0 * * 0"))
        #expect(try fields("@daily") == fields("0 0 * * *"))
        #expect(try fields("@midnight") == fields("0 0 * * *"))
        #expect(try fields("@hourly") == fields("0 * * * *"))
    }

    @Test func intervalsHaveADuration() throws {
        #expect(try CronExpression("@every 30s").interval == .seconds(30))
        #expect(try CronExpression("@every 5m").interval == .seconds(300))
        #expect(try CronExpression("@every 2h").interval == .seconds(7200))
        #expect(try CronExpression("@every 1h30m").interval == .seconds(5400))
        #expect(try CronExpression("@every 1h0m5s").interval == .seconds(3605))
        #expect(try CronExpression("@every 744h").interval == .seconds(31 * 86_400))
        #expect(try CronExpression("0 * * * *").interval == nil)
        #expect(try CronExpression("@hourly").interval == nil)
    }

    @Test func fieldCountErrorNamesTheShape() throws {
        let error = try #require(parseError("* * * *"))
        #expect(error.field == "cron")
        #expect(error.status == .invalid)
        #expect(
            error.reason == "has 4 fields; a cron expression has 5 (minute hour day-of-month month day-of-week) "
                + "or 6 with leading seconds")
        #expect(error.description.hasPrefix("cron has 4 fields; "))
        #expect(parseError("*")?.reason.hasPrefix("has 1 field;") == true)
        #expect(parseError("* * * * * * *")?.reason.hasPrefix("has 7 fields;") == true)
    }

    @Test(
        arguments: [
            ("", "is empty"),
            ("   ", "is empty"),
            ("0 24 * * *", "is invalid: the hour field's 24 is out of 0–23"),
            ("60 * * * *", "the minute field's 60 is out of 0–59"),
            ("* * 0 * *", "the day-of-month field's 0 is out of 1–31"),
            ("* * 32 * *", "the day-of-month field's 32 is out of 1–31"),
            ("* * * 13 *", "the month field's 13 is out of 1–12"),
            ("* * * * 8", "the day-of-week field's 8 is out of 0–7"),
            ("60 * * * * *", "the second field's 60 is out of 0–59"),
            ("0 99999999999 * * *", "the hour field's 99999999999 is out of 0–23"),
            ("@fortnightly", "is invalid: unknown macro @fortnightly"),
            ("@reboot", "@reboot is not supported"),
            ("@daily now", "@daily takes no arguments"),
            ("0 0 * * FRI-MON", "range FRI-MON runs backwards; ranges do not wrap around, so write FRI-SAT,SUN-MON"),
            ("0 0 * NOV-FEB *", "range NOV-FEB runs backwards; ranges do not wrap around, so write NOV-DEC,JAN-FEB"),
            (
                "0 22-2 * * *",
                "the hour field's range 22-2 runs backwards; ranges do not wrap around, so write 22-23,0-2"
            ),
            ("*/0 * * * *", "the minute field's step in */0 must be at least 1"),
            ("*/61 * * * *", "the minute field's step in */61 is larger than its range 0–59"),
            ("*/x * * * *", "the minute field's step in */x is not a whole number"),
            ("5/ * * * *", "the minute field's 5/ is missing a step after /"),
            ("/5 * * * *", "the minute field's /5 is missing a value before /"),
            ("1/2/3 * * * *", "the minute field's 1/2/3 has more than one /"),
            ("1-2-3 * * * *", "the minute field's 1-2-3 is not a value or a range of the form a-b"),
            ("-5 * * * *", "the minute field's -5 is not a value or a range of the form a-b"),
            ("1,,2 * * * *", "the minute field 1,,2 has an empty list item"),
            ("1, * * * *", "the minute field 1, has an empty list item"),
            ("0 0 * FOO *", "the month field's FOO is not a number or a month name (JAN–DEC)"),
            ("0 0 * * MONDAY", "the day-of-week field's MONDAY is not a number or a day name (SUN–SAT)"),
            ("0 MON * * *", "the hour field's MON is not a number"),
            ("0 0 ? * *", "the day-of-month field's ? is a Quartz extension that is not supported"),
            ("0 0 L * *", "the day-of-month field's L is a Quartz extension (L or W) that is not supported"),
            ("0 0 15W * *", "the day-of-month field's 15W is a Quartz extension (L or W) that is not supported"),
            ("0 0 * * 5L", "the day-of-week field's 5L is a Quartz extension (L or W) that is not supported"),
            ("0 0 * * 5#3", "the day-of-week field's 5#3 uses #, a Quartz extension that is not supported"),
            ("0 0 * * * %", "the day-of-week field contains %, which cron does not allow"),
            ("0 0\n* * *", "is invalid: contains U+A; fields are separated by spaces or tabs on one line"),
            ("@every", "@every needs a duration, e.g. @every 5m"),
            ("@every 1h 30m", "@every takes one duration written without spaces"),
            ("@every 5", "@every duration 5 ends in a number without a unit"),
            ("@every h", "@every duration h has a unit without a number before it"),
            ("@every 0s", "@every duration 0s is shorter than 1 second"),
            ("@every 745h", "@every duration 745h is longer than 31 days"),
            ("@every 99999999999999h", "is longer than 31 days"),
            ("@every 30m1h", "@every duration 30m1h repeats a unit or lists units out of order"),
            ("@every 5m5m", "repeats a unit or lists units out of order"),
            ("@every 5d", "@every duration 5d uses the unknown unit d; use s, m or h"),
            ("@every 1.5h", "@every duration 1.5h is not of the form 1h30m"),
        ] as [(String, String)])
    func rejectsBadInputSayingWhy(_ text: String, _ expected: String) throws {
        let error = try #require(parseError(text), "\(text) should be rejected")
        #expect(error.field == "cron")
        #expect(error.status == .invalid)
        #expect(error.reason.contains(expected), "reason was: \(error.reason)")
    }

    @Test(
        arguments: [
            ("0 0 30 2 *", "never fires: day 30 does not occur in February"),
            ("0 0 31 4,6 *", "never fires: day 31 does not occur in April or June"),
            ("0 0 30,31 2 *", "never fires: days 30 and 31 do not occur in February"),
            ("0 0 31 APR,JUN,SEP,NOV *", "never fires: day 31 does not occur in April, June, September or November"),
            ("0 0 30 2 */2", "never fires: day 30 does not occur in February"),
            ("0 0 0 31 2 *", "never fires: day 31 does not occur in February"),
        ] as [(String, String)])
    func rejectsExpressionsThatNeverFire(_ text: String, _ expected: String) throws {
        let error = try #require(parseError(text), "\(text) should be rejected")
        #expect(error.reason == expected)
        #expect(error.description == "cron " + expected)
    }

    @Test func weekdayRescuesAnImpossibleDayWhenBothAreRestricted() {
        // Both day fields are restricted, so Mondays in February fire even though 30 February never exists.
        #expect(parseError("0 0 30 2 MON") == nil)
        #expect(parseError("0 0 31 2,4 1-5") == nil)
        // Day 31 exists in one of the selected months, so the expression fires there.
        #expect(parseError("0 0 31 2,3 *") == nil)
    }

    @Test func overlongTextIsRefused() throws {
        let error = try #require(parseError(String(repeating: "1,", count: 600) + "1 * * * *"))
        #expect(error.status == .invalid)
        #expect(error.reason == "is longer than 1024 characters")
    }

    @Test func equalityFollowsTheText() throws {
        #expect(try CronExpression("0 0 * * 0") == CronExpression(" 0 0 * * 0 "))
        #expect(try CronExpression("0 0 * * 0") != CronExpression("0 0 * * 7"))
    }
}
