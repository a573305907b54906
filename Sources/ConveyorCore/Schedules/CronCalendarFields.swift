import Foundation

/// The values a calendar cron expression selects, one bit per value, and the wall-clock search over them.
///
/// Bit sets make "the next selected value at or after v" a shift and a trailing-zero count, which is what lets the
/// search skip field by field instead of stepping through time.
struct CronCalendarFields: Sendable, Hashable {
    /// Selected seconds, bits 0...59; five-field expressions select only second 0.
    var seconds: UInt64
    /// Selected minutes, bits 0...59.
    var minutes: UInt64
    /// Selected hours, bits 0...23.
    var hours: UInt64
    /// Selected days of the month, bits 1...31.
    var daysOfMonth: UInt64
    /// Selected months, bits 1...12.
    var months: UInt64
    /// Selected days of the week, bits 0...6 with Sunday as 0 (a written 7 has already been folded onto 0).
    var daysOfWeek: UInt64
    /// Whether the day-of-month field was written starting with `*`, which matters for the Vixie day rule.
    var dayOfMonthStarred: Bool
    /// Whether the day-of-week field was written starting with `*`, which matters for the Vixie day rule.
    var dayOfWeekStarred: Bool

    /// How many years ahead the search looks before giving up.
    ///
    /// The Gregorian calendar repeats every 400 years, weekdays included, so any date pattern that ever matches
    /// matches within 401 years of any starting point; looking further could never find anything new.
    static let searchYears = 401

    /// A mask with the bits `low...high` set.
    static func mask(_ low: Int, _ high: Int) -> UInt64 {
        var result: UInt64 = 0
        for value in stride(from: max(low, 0), through: min(high, 63), by: 1) {
            result |= 1 << UInt64(value)
        }
        return result
    }

    /// Whether bit `value` is set in `mask`.
    static func contains(_ mask: UInt64, _ value: Int) -> Bool {
        value >= 0 && value < 64 && mask & (1 << UInt64(value)) != 0
    }

    /// The smallest set bit at or above `value`, if any.
    static func next(in mask: UInt64, from value: Int) -> Int? {
        guard value < 64 else { return nil }
        let remaining = mask & (UInt64.max << UInt64(max(value, 0)))
        return remaining == 0 ? nil : remaining.trailingZeroBitCount
    }

    /// Whether the date matches the day fields, combining them as Vixie cron does.
    ///
    /// When either field was written starting with `*` the day has to satisfy both (a bare `*` satisfies
    /// everything); when both are restricted, satisfying either one is enough.
    func dayMatches(day: Int, weekday: Int) -> Bool {
        let byMonthDay = Self.contains(daysOfMonth, day)
        let byWeekday = Self.contains(daysOfWeek, weekday)
        if dayOfMonthStarred || dayOfWeekStarred {
            return byMonthDay && byWeekday
        }
        return byMonthDay || byWeekday
    }

    /// The first selected second of the day at or after `secondOfDay`, if the day has one left.
    func firstTimeOfDay(atOrAfter secondOfDay: Int) -> Int? {
        var hour = secondOfDay / 3600
        var minute = (secondOfDay % 3600) / 60
        var second = secondOfDay % 60
        while let nextHour = Self.next(in: hours, from: hour), nextHour < 24 {
            if nextHour != hour {
                hour = nextHour
                minute = 0
                second = 0
            }
            while let nextMinute = Self.next(in: minutes, from: minute), nextMinute < 60 {
                if nextMinute != minute {
                    minute = nextMinute
                    second = 0
                }
                if let nextSecond = Self.next(in: seconds, from: second), nextSecond < 60 {
                    return hour * 3600 + minute * 60 + nextSecond
                }
                minute += 1
                second = 0
            }
            hour += 1
            minute = 0
            second = 0
        }
        return nil
    }

    /// The first selected wall-clock second at or after `start` (wall-clock seconds since 1970-01-01 00:00:00).
    ///
    /// The search moves a month, then a day, then a time of day at a time, so a pattern that matches once every
    /// few years costs a few hundred steps at most. It returns nil only when nothing matches within `searchYears`.
    func nextMatch(atOrAfter start: Int) -> Int? {
        var dayNumber = CivilCalendar.floorDivide(start, CivilCalendar.secondsPerDay)
        var secondOfDay = start - dayNumber * CivilCalendar.secondsPerDay
        var date = CivilCalendar.day(fromDayNumber: dayNumber)
        let lastYear = date.year + Self.searchYears

        // Moves to midnight on the first day of the following month.
        func advanceMonth() {
            if date.month == 12 {
                date = CivilCalendar.Day(year: date.year + 1, month: 1, day: 1)
            } else {
                date = CivilCalendar.Day(year: date.year, month: date.month + 1, day: 1)
            }
            dayNumber = CivilCalendar.dayNumber(year: date.year, month: date.month, day: 1)
            secondOfDay = 0
        }

        while date.year <= lastYear {
            guard Self.contains(months, date.month) else {
                advanceMonth()
                continue
            }
            let monthLength = CivilCalendar.daysInMonth(date.month, year: date.year)
            var weekday = CivilCalendar.weekday(ofDayNumber: dayNumber)
            while date.day <= monthLength && !dayMatches(day: date.day, weekday: weekday) {
                date.day += 1
                dayNumber += 1
                weekday = (weekday + 1) % 7
                secondOfDay = 0
            }
            guard date.day <= monthLength else {
                advanceMonth()
                continue
            }
            if let time = firstTimeOfDay(atOrAfter: secondOfDay) {
                return dayNumber * CivilCalendar.secondsPerDay + time
            }
            // Nothing is left on this day; the next day may lie in the next month, which the loop notices.
            date.day += 1
            dayNumber += 1
            secondOfDay = 0
            if date.day > monthLength {
                advanceMonth()
            }
        }
        return nil
    }
}
