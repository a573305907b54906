import Foundation

extension CronExpression {
    /// An English description of the schedule for a dashboard, e.g. "every day at 03:00, Europe/Berlin".
    ///
    /// Intervals are described without a zone because they do not depend on one ("every 1 hour 30 minutes").
    /// Calendar schedules get a sentence only for the common shapes (every minute, every n minutes, hourly, daily,
    /// on one weekday, on weekdays, monthly, yearly); anything else is shown as the expression itself, e.g.
    /// `cron "*/7 1-5 * * 2,4" (UTC)`, because a vague sentence would be worse than the exact text.
    ///
    /// - Parameter zoneName: The time zone identifier to mention, normally the one the schedule is evaluated in.
    public func describe(in zoneName: String) -> String {
        switch schedule {
        case .interval(let seconds):
            return "every " + CronWords.duration(seconds)
        case .calendar(let fields):
            if let phrase = CronDescriber(fields: fields).phrase() {
                return "\(phrase), \(zoneName)"
            }
            return "cron \"\(text)\" (\(zoneName))"
        }
    }
}

/// Small helpers for writing English.
enum CronWords {
    /// "1 hour", "2 hours".
    static func count(_ value: Int, _ unit: String) -> String {
        "\(value) \(unit)\(value == 1 ? "" : "s")"
    }

    /// A duration in hours, minutes and seconds, largest first, leaving out zero parts: "1 hour 30 minutes".
    static func duration(_ seconds: Int) -> String {
        let parts = [(seconds / 3600, "hour"), (seconds % 3600 / 60, "minute"), (seconds % 60, "second")]
        return parts.filter { $0.0 > 0 }.map { count($0.0, $0.1) }.joined(separator: " ")
    }

    /// "A", "A and B", "A, B and C" (with "or" instead of "and" when asked).
    static func list(_ items: [String], _ conjunction: String) -> String {
        guard items.count > 1, let last = items.last else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }

    /// A character's Unicode code points, e.g. "U+A" for a line feed.
    static func codePoints(_ character: Character) -> String {
        character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ")
    }

    /// A two-digit clock field.
    static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}

/// Recognises the common schedule shapes from the selected values and words them.
///
/// Working from the bit sets rather than the text means `0-59/5` and `*/5` read the same, and the Vixie day rule
/// is applied before anything is said about days, so a sentence can never disagree with the actual ticks.
private struct CronDescriber {
    let fields: CronCalendarFields

    private static let allSeconds = CronCalendarFields.mask(0, 59)
    private static let allHours = CronCalendarFields.mask(0, 23)
    private static let allDaysOfMonth = CronCalendarFields.mask(1, 31)
    private static let allMonths = CronCalendarFields.mask(1, 12)
    private static let allWeekdays = CronCalendarFields.mask(0, 6)
    private static let mondayToFriday = CronCalendarFields.mask(1, 5)

    /// The days a schedule fires on, for the shapes that have a plain description.
    private enum Days {
        case everyDay
        case weekdays
        case weekday(Int)
        case dayOfMonth(Int)
        case dayOfYear(day: Int, month: Int)
    }

    func phrase() -> String? {
        guard let days = days() else { return nil }
        if case .everyDay = days, let frequent = frequentPhrase() {
            return frequent
        }
        guard let time = timeOfDay() else { return nil }
        switch days {
        case .everyDay: return "every day at \(time)"
        case .weekdays: return "every weekday (Monday–Friday) at \(time)"
        case .weekday(let weekday): return "every \(CivilCalendar.weekdayNames[weekday]) at \(time)"
        case .dayOfMonth(let day): return "at \(time) on day \(day) of every month"
        case .dayOfYear(let day, let month):
            return "at \(time) on \(day) \(CivilCalendar.monthNames[month - 1]) every year"
        }
    }

    /// The single value in a mask, if it has exactly one.
    private static func single(_ mask: UInt64) -> Int? {
        mask.nonzeroBitCount == 1 ? mask.trailingZeroBitCount : nil
    }

    /// The step n when the mask is exactly 0, n, 2n, … within 0..<60 and n divides 60, so the gaps are all equal.
    private static func evenStep(_ mask: UInt64) -> Int? {
        for step in [2, 3, 4, 5, 6, 10, 12, 15, 20, 30] {
            var expected: UInt64 = 0
            for value in stride(from: 0, to: 60, by: step) { expected |= 1 << UInt64(value) }
            if mask == expected { return step }
        }
        return nil
    }

    private func days() -> Days? {
        let bothMustMatch = fields.dayOfMonthStarred || fields.dayOfWeekStarred
        let allMonthDays = fields.daysOfMonth == Self.allDaysOfMonth
        let allWeekdays = fields.daysOfWeek == Self.allWeekdays
        if fields.months == Self.allMonths {
            if bothMustMatch ? (allMonthDays && allWeekdays) : (allMonthDays || allWeekdays) {
                return .everyDay
            }
            if bothMustMatch && allMonthDays {
                if fields.daysOfWeek == Self.mondayToFriday { return .weekdays }
                if let weekday = Self.single(fields.daysOfWeek) { return .weekday(weekday) }
            }
            // Days 29 to 31 are missing from some months, which "of every month" would hide.
            if bothMustMatch && allWeekdays, let day = Self.single(fields.daysOfMonth), day <= 28 {
                return .dayOfMonth(day)
            }
            return nil
        }
        guard bothMustMatch, allWeekdays, let month = Self.single(fields.months),
            let day = Self.single(fields.daysOfMonth), day <= CivilCalendar.daysInMonth(month, year: 2001)
        else { return nil }
        // 29 February is left out above: "every year" would be wrong for it.
        return .dayOfYear(day: day, month: month)
    }

    /// Descriptions for schedules that fire several times an hour, which only read well on every day.
    private func frequentPhrase() -> String? {
        let everyMinuteOfDay = fields.minutes == Self.allSeconds && fields.hours == Self.allHours
        if everyMinuteOfDay {
            if fields.seconds == Self.allSeconds { return "every second" }
            if let step = Self.evenStep(fields.seconds) { return "every \(step) seconds" }
        }
        guard fields.seconds == 1, fields.hours == Self.allHours else { return nil }
        if fields.minutes == Self.allSeconds { return "every minute" }
        if let step = Self.evenStep(fields.minutes) { return "every \(step) minutes" }
        if let minute = Self.single(fields.minutes) {
            return minute == 0 ? "every hour on the hour" : "every hour at minute \(minute)"
        }
        return nil
    }

    /// "09:30", or "09:30:15" when a second other than 0 is selected, for schedules that fire once a day.
    private func timeOfDay() -> String? {
        guard let hour = Self.single(fields.hours), let minute = Self.single(fields.minutes),
            let second = Self.single(fields.seconds)
        else { return nil }
        let clock = "\(CronWords.twoDigits(hour)):\(CronWords.twoDigits(minute))"
        return second == 0 ? clock : "\(clock):\(CronWords.twoDigits(second))"
    }
}
