import Foundation

/// One of the six cron fields: its name, its bounds, the names it accepts and how one written field turns into a
/// bit set.
struct CronFieldSpec: Sendable {
    /// The field's name as error messages use it, e.g. "day-of-month".
    let name: String
    /// The smallest value that may be written.
    let minimum: Int
    /// The largest value that may be written.
    let maximum: Int
    /// The largest value that `*` and the open-ended `a/n` reach.
    ///
    /// It differs from `maximum` only for day-of-week, where a written 7 is another name for Sunday; letting `*/2`
    /// or `1/2` run up to 7 would make them select Sunday as well, which nobody reading them expects.
    let openMaximum: Int
    /// Accepted names, the first standing for `minimum`; empty for numeric-only fields.
    let names: [String]
    /// How error messages describe the accepted names, e.g. "a month name (JAN–DEC)".
    let nameHint: String

    static let second = CronFieldSpec(name: "second", minimum: 0, maximum: 59, openMaximum: 59, names: [], nameHint: "")
    static let minute = CronFieldSpec(name: "minute", minimum: 0, maximum: 59, openMaximum: 59, names: [], nameHint: "")
    static let hour = CronFieldSpec(name: "hour", minimum: 0, maximum: 23, openMaximum: 23, names: [], nameHint: "")
    static let dayOfMonth = CronFieldSpec(
        name: "day-of-month", minimum: 1, maximum: 31, openMaximum: 31, names: [], nameHint: "")
    static let month = CronFieldSpec(
        name: "month", minimum: 1, maximum: 12, openMaximum: 12,
        names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        nameHint: "a month name (JAN–DEC)")
    static let dayOfWeek = CronFieldSpec(
        name: "day-of-week", minimum: 0, maximum: 7, openMaximum: 6,
        names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
        nameHint: "a day name (SUN–SAT)")

    /// A parsed field: the selected values and whether the field was written starting with `*`.
    struct Parsed: Sendable, Hashable {
        var mask: UInt64
        var starred: Bool
    }

    private var isDayOfWeek: Bool { maximum == 7 }

    /// The error for a problem in this field; the reason reads on from the word "cron".
    private func problem(_ text: String) -> ValidationError {
        CronExpression.invalid("the \(name) field's \(text)")
    }

    /// Parses one whitespace-free field such as `1-5,10/15` or `MON-FRI`.
    func parse(_ text: Substring) throws(ValidationError) -> Parsed {
        try checkCharacters(text)
        var mask: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else {
                throw CronExpression.invalid("the \(name) field \(text) has an empty list item")
            }
            mask |= try parseItem(item)
        }
        if isDayOfWeek, mask & (1 << 7) != 0 {
            // Vixie cron accepts both 0 and 7 for Sunday; storing only 0 makes the two spellings identical.
            mask = (mask & ~(1 << 7)) | 1
        }
        return Parsed(mask: mask, starred: text.hasPrefix("*"))
    }

    /// Rejects characters cron never uses, naming the Quartz extensions people most often try.
    private func checkCharacters(_ text: Substring) throws(ValidationError) {
        if text.contains("?") {
            throw problem("? is a Quartz extension that is not supported; use * instead")
        }
        if text.contains("#") {
            throw problem("\(text) uses #, a Quartz extension that is not supported")
        }
        for character in text {
            let allowed = character.isASCII && (character.isLetter || character.isNumber || "*,-/".contains(character))
            if !allowed {
                // Invisible or unusual characters are named by code point so the message shows what was typed.
                let shown =
                    character.isASCII && !character.isWhitespace
                    ? String(character) : CronWords.codePoints(character)
                throw CronExpression.invalid("the \(name) field contains \(shown), which cron does not allow")
            }
        }
    }

    /// Parses one list item: `*`, `a`, `a-b`, each optionally followed by `/step`.
    private func parseItem(_ item: Substring) throws(ValidationError) -> UInt64 {
        let parts = item.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw problem("\(item) has more than one /") }
        let base = parts[0]
        var step = 1
        if parts.count == 2 {
            step = try parseStep(parts[1], item: item)
        }
        guard !base.isEmpty else { throw problem("\(item) is missing a value before /") }

        let low: Int
        let high: Int
        if base == "*" {
            low = minimum
            high = openMaximum
        } else if base.contains("-") {
            let ends = base.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count == 2, !ends[0].isEmpty, !ends[1].isEmpty else {
                throw problem("\(base) is not a value or a range of the form a-b")
            }
            low = try value(ends[0], isRangeEnd: false)
            high = try value(ends[1], isRangeEnd: true)
            guard low <= high else { throw backwardsRange(ends[0], ends[1]) }
        } else {
            low = try value(base, isRangeEnd: false)
            // `a/n` means "from a through the end of the field, every n"; a plain `a` is just that value.
            high = parts.count == 2 ? max(low, openMaximum) : low
        }
        var mask: UInt64 = 0
        for selected in stride(from: low, through: high, by: step) {
            mask |= 1 << UInt64(selected)
        }
        return mask
    }

    /// Parses the part after `/`, which must be a whole number from 1 to the number of values in the field.
    private func parseStep(_ text: Substring, item: Substring) throws(ValidationError) -> Int {
        guard !text.isEmpty else { throw problem("\(item) is missing a step after /") }
        guard text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw problem("step in \(item) is not a whole number")
        }
        let span = openMaximum - minimum + 1
        guard let step = Int(text), text.count <= 6 else {
            throw problem("step in \(item) is larger than its range \(minimum)–\(openMaximum)")
        }
        guard step >= 1 else { throw problem("step in \(item) must be at least 1") }
        guard step <= span else {
            throw problem("step in \(item) is larger than its range \(minimum)–\(openMaximum)")
        }
        return step
    }

    /// Parses a number or a name within the field's bounds.
    ///
    /// `SUN` at the end of a range means 7, so the common `MON-SUN` reads as Monday through Sunday instead of being
    /// rejected as running backwards.
    private func value(_ token: Substring, isRangeEnd: Bool) throws(ValidationError) -> Int {
        if token.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            guard token.count <= 6, let number = Int(token), (minimum...maximum).contains(number) else {
                throw problem("\(token) is out of \(minimum)–\(maximum)")
            }
            return number
        }
        let upper = token.uppercased()
        if let index = names.firstIndex(of: upper) {
            let number = minimum + index
            return isDayOfWeek && isRangeEnd && number == 0 ? 7 : number
        }
        if isQuartzDaySyntax(upper) {
            throw problem("\(token) is a Quartz extension (L or W) that is not supported")
        }
        if names.isEmpty {
            throw problem("\(token) is not a number")
        }
        throw problem("\(token) is not a number or \(nameHint)")
    }

    /// Whether the token looks like Quartz's `L`, `LW`, `15W` or `5L`, so the error can say so.
    private func isQuartzDaySyntax(_ upper: String) -> Bool {
        guard name == "day-of-month" || isDayOfWeek, let last = upper.last, last == "L" || last == "W" else {
            return false
        }
        let prefix = upper.dropLast()
        return prefix.isEmpty || prefix == "L" || prefix.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// The error for a range like `FRI-MON`, with the wrap-around written out as two ranges.
    private func backwardsRange(_ start: Substring, _ end: Substring) -> ValidationError {
        let usesNames = !names.isEmpty && start.first?.isLetter == true
        let last = usesNames ? names[openMaximum - minimum] : String(openMaximum)
        let first = usesNames ? names[0] : String(minimum)
        let firstPart = start.uppercased() == last.uppercased() ? String(start) : "\(start)-\(last)"
        let secondPart = end.uppercased() == first.uppercased() ? String(end) : "\(first)-\(end)"
        return problem(
            "range \(start)-\(end) runs backwards; ranges do not wrap around, so write \(firstPart),\(secondPart)")
    }
}
