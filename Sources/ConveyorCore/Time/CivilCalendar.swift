import Foundation

/// Proleptic Gregorian calendar arithmetic on whole numbers: the schedules' calendar and the
/// API's timestamps (`Date.rfc3339Milliseconds`) both count days with it.
///
/// The schedule search works on "wall-clock seconds": the local date and time written as if it were a UTC
/// instant, counted from 1970-01-01 00:00:00. Doing that arithmetic here, instead of through `Calendar`, keeps the
/// search fast and means no Foundation call ever has to guess what a nonexistent or repeated local time means.
/// The day conversions follow Howard Hinnant's public-domain `days_from_civil` and `civil_from_days` algorithms.
enum CivilCalendar {
    /// Seconds in a day of wall-clock time; wall-clock days always have exactly this many.
    static let secondsPerDay = 86_400

    /// A calendar date in the proleptic Gregorian calendar.
    struct Day: Hashable, Sendable {
        var year: Int
        var month: Int
        var day: Int
    }

    /// Integer division that rounds toward negative infinity, so instants before 1970 fall into the right day.
    static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// The remainder that matches `floorDivide`, always in `0..<divisor` for a positive divisor.
    static func floorModulo(_ value: Int, _ divisor: Int) -> Int {
        value - floorDivide(value, divisor) * divisor
    }

    /// The number of days from 1970-01-01 to the given date.
    static func dayNumber(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = floorDivide(shiftedYear, 400)
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date that lies the given number of days after 1970-01-01.
    static func day(fromDayNumber dayNumber: Int) -> Day {
        let shifted = dayNumber + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return Day(year: year, month: month, day: day)
    }

    /// The day of the week, 0 for Sunday through 6 for Saturday; 1970-01-01 was a Thursday.
    static func weekday(ofDayNumber dayNumber: Int) -> Int {
        floorModulo(dayNumber + 4, 7)
    }

    /// Whether the year has a 29 February.
    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in the month of the given year.
    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The most days the month ever has, counting 29 February, which the never-fires check has to allow.
    static func mostDaysInMonth(_ month: Int) -> Int {
        month == 2 ? 29 : daysInMonth(month, year: 2001)
    }

    /// English month names, indexed by month number minus one.
    static let monthNames = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]

    /// English day names, indexed by day-of-week number (Sunday is 0).
    static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
}

/// The range of instants the schedule search supports, as whole seconds since the Unix epoch.
///
/// Bounding the range keeps every conversion from `Double` to `Int` safe and keeps the year arithmetic far from
/// overflow; ticks after the last supported second are reported as "no tick" rather than computed.
enum CronInstantRange {
    /// 0001-01-01T00:00:00Z, which is also `Date.distantPast`.
    static let earliest = -62_135_596_800
    /// 9999-12-31T23:59:59Z.
    static let latest = 253_402_300_799

    /// The first whole second strictly after the instant, or nil when that lies past the supported range.
    ///
    /// Every tick falls on a whole second, so "strictly after a fractional instant" and "at or after the next whole
    /// second" are the same thing; instants before the range are clamped so `Date.distantPast` still works.
    static func firstWholeSecond(after instant: Date) -> Int? {
        let seconds = instant.timeIntervalSince1970
        guard !seconds.isNaN else { return nil }
        if seconds < Double(earliest) { return earliest }
        guard seconds < Double(latest) else { return nil }
        return Int(seconds.rounded(.down)) + 1
    }

    /// The date for a whole second, or nil when the second lies past the supported range.
    static func date(_ seconds: Int) -> Date? {
        seconds <= latest ? Date(timeIntervalSince1970: TimeInterval(seconds)) : nil
    }
}
