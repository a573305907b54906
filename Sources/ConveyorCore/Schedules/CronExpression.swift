import Foundation

/// A recurring schedule written as a cron expression, a macro such as `@daily`, or an interval such as `@every 5m`.
///
/// Calendar expressions have five fields (`minute hour day-of-month month day-of-week`) or six with a leading
/// seconds field, and are matched against a time zone's local wall clock; see `nextTick(after:in:)` for how
/// daylight-saving changes are handled. Intervals tick on the multiples of their length counted from the Unix epoch,
/// so every node computes the same ticks whatever its time zone.
///
/// Two values are equal when their trimmed text is equal; `0 0 * * 0` and `0 0 * * 7` fire identically but are
/// different values, so a stored schedule always reads back exactly as it was written.
public struct CronExpression: Sendable, Hashable {
    /// The expression as written, with surrounding whitespace removed.
    public let text: String

    /// What the expression selects.
    let schedule: Schedule

    /// The two kinds of schedule an expression can describe.
    enum Schedule: Sendable, Hashable {
        /// Wall-clock times in a time zone.
        case calendar(CronCalendarFields)
        /// Every `seconds` seconds since 1970-01-01T00:00:00Z.
        case interval(seconds: Int)
    }

    /// The longest accepted text; anything longer is certainly not a schedule a person wrote.
    static let maximumLength = 1024

    /// The longest accepted interval, 31 days, in seconds.
    static let maximumIntervalSeconds = 31 * 86_400

    /// What each macro stands for, written as the equivalent five fields.
    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// The interval between ticks for an `@every` expression, or nil for a calendar expression.
    public var interval: Duration? {
        if case .interval(let seconds) = schedule {
            return .seconds(seconds)
        }
        return nil
    }

    /// Parses a cron expression, a macro or an `@every` interval.
    ///
    /// - Parameter text: The expression; surrounding whitespace is ignored and fields are separated by any run of
    ///   spaces or tabs.
    /// - Throws: A `ValidationError` for the field `cron` whose reason says exactly what is wrong, including
    ///   expressions that are well formed but can never fire, such as `0 0 30 2 *`.
    public init(_ text: String) throws(ValidationError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ValidationError(field: "cron", reason: "is empty") }
        guard trimmed.count <= Self.maximumLength else {
            throw ValidationError(
                field: "cron", reason: "is longer than \(Self.maximumLength) characters")
        }
        if let separator = trimmed.first(where: { $0.isWhitespace && $0 != " " && $0 != "\t" }) {
            // A line break inside an expression is almost always two schedules pasted together.
            throw Self.invalid(
                "contains \(CronWords.codePoints(separator)); fields are separated by spaces or tabs on one line")
        }
        self.text = trimmed
        let tokens = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if trimmed.hasPrefix("@") {
            schedule = try Self.parseMacro(tokens)
        } else {
            schedule = .calendar(try Self.parseFields(tokens))
        }
    }

    /// The error for a malformed expression; `problem` completes "cron is invalid: …".
    static func invalid(_ problem: String) -> ValidationError {
        ValidationError(field: "cron", reason: "is invalid: \(problem)")
    }

    /// Parses `@name` macros and `@every <duration>`.
    private static func parseMacro(_ tokens: [Substring]) throws(ValidationError) -> Schedule {
        let name = tokens.first.map { $0.lowercased() } ?? ""
        if name == "@every" {
            guard tokens.count == 2 else {
                throw invalid(
                    tokens.count == 1
                        ? "@every needs a duration, e.g. @every 5m"
                        : "@every takes one duration written without spaces, e.g. @every 1h30m")
            }
            return .interval(seconds: try parseDuration(tokens[1]))
        }
        if name == "@reboot" {
            throw invalid("@reboot is not supported; a Conveyor schedule fires on the calendar or at an interval")
        }
        guard let fields = macros[name] else {
            throw invalid(
                "unknown macro \(tokens.first ?? ""); use @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
                    + "@hourly or @every <duration>")
        }
        guard tokens.count == 1 else { throw invalid("\(name) takes no arguments") }
        let expanded = fields.split(separator: " ")
        return .calendar(try parseFields(expanded))
    }

    /// Parses a duration such as `30s`, `5m`, `2h` or `1h30m`: whole numbers with the units h, m and s, each unit
    /// at most once and largest first, so there is exactly one way to read it.
    private static func parseDuration(_ text: Substring) throws(ValidationError) -> Int {
        let units: [Character: (rank: Int, seconds: Int)] = ["h": (3, 3600), "m": (2, 60), "s": (1, 1)]
        var total = 0
        var number: Int?
        var lastRank = Int.max
        for character in text.lowercased() {
            if let digit = character.wholeNumberValue, character.isASCII {
                // Capping the running number keeps absurd inputs from overflowing; anything capped is too long anyway.
                number = min((number ?? 0) * 10 + digit, 100_000_000)
            } else if let unit = units[character] {
                guard let value = number else {
                    throw invalid("@every duration \(text) has a unit without a number before it")
                }
                guard unit.rank < lastRank else {
                    throw invalid(
                        "@every duration \(text) repeats a unit or lists units out of order; write hours, then "
                            + "minutes, then seconds, e.g. 1h30m")
                }
                total = min(total + value * unit.seconds, Int(Int32.max))
                lastRank = unit.rank
                number = nil
            } else if character.isLetter {
                throw invalid("@every duration \(text) uses the unknown unit \(character); use s, m or h")
            } else {
                throw invalid(
                    "@every duration \(text) is not of the form 1h30m (whole numbers with the units h, m and s)")
            }
        }
        guard number == nil else {
            throw invalid("@every duration \(text) ends in a number without a unit; use s, m or h, e.g. 30s")
        }
        guard total >= 1 else { throw invalid("@every duration \(text) is shorter than 1 second") }
        guard total <= maximumIntervalSeconds else {
            throw invalid("@every duration \(text) is longer than 31 days")
        }
        return total
    }

    /// Parses five or six whitespace-separated fields and checks that the result can fire at all.
    private static func parseFields(_ tokens: [Substring]) throws(ValidationError) -> CronCalendarFields {
        guard tokens.count == 5 || tokens.count == 6 else {
            throw ValidationError(
                field: "cron",
                reason: "has \(tokens.count) field\(tokens.count == 1 ? "" : "s"); a cron expression has 5 "
                    + "(minute hour day-of-month month day-of-week) or 6 with leading seconds")
        }
        let hasSeconds = tokens.count == 6
        let offset = hasSeconds ? 1 : 0
        let seconds = hasSeconds ? try CronFieldSpec.second.parse(tokens[0]).mask : 1
        let minutes = try CronFieldSpec.minute.parse(tokens[offset])
        let hours = try CronFieldSpec.hour.parse(tokens[offset + 1])
        let daysOfMonth = try CronFieldSpec.dayOfMonth.parse(tokens[offset + 2])
        let months = try CronFieldSpec.month.parse(tokens[offset + 3])
        let daysOfWeek = try CronFieldSpec.dayOfWeek.parse(tokens[offset + 4])
        let fields = CronCalendarFields(
            seconds: seconds, minutes: minutes.mask, hours: hours.mask, daysOfMonth: daysOfMonth.mask,
            months: months.mask, daysOfWeek: daysOfWeek.mask, dayOfMonthStarred: daysOfMonth.starred,
            dayOfWeekStarred: daysOfWeek.starred)
        try checkCanFire(fields)
        return fields
    }

    /// Rejects day-of-month and month combinations that never occur, such as 30 February.
    ///
    /// Only the "both must match" day rule can make an expression dead: there every selected day-of-month must
    /// exist in some selected month. When both day fields are restricted a day-of-week alone is enough, and every
    /// month has every weekday. Given an existing date, the 400-year Gregorian cycle puts it on every weekday, so
    /// no day-of-week restriction can make it dead either.
    private static func checkCanFire(_ fields: CronCalendarFields) throws(ValidationError) {
        guard fields.dayOfMonthStarred || fields.dayOfWeekStarred else { return }
        let days = (1...31).filter { CronCalendarFields.contains(fields.daysOfMonth, $0) }
        let months = (1...12).filter { CronCalendarFields.contains(fields.months, $0) }
        let longestMonth = months.map(CivilCalendar.mostDaysInMonth).max() ?? 0
        guard let firstDay = days.first, firstDay > longestMonth else { return }
        let dayText =
            days.count == 1
            ? "day \(firstDay) does"
            : "days \(CronWords.list(days.map(String.init), "and")) do"
        let monthText = CronWords.list(months.map { CivilCalendar.monthNames[$0 - 1] }, "or")
        throw ValidationError(field: "cron", reason: "never fires: \(dayText) not occur in \(monthText)")
    }
}
