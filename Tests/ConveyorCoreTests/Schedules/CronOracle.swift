import Foundation

/// A local wall-clock reading as Foundation's calendar reports it.
struct OracleWall {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    /// 0 for Sunday through 6 for Saturday.
    var weekday: Int

    /// A number that orders wall-clock readings the way time does (not linear, only monotonic).
    var key: Int { ((((year * 13 + month) * 32 + day) * 24 + hour) * 60 + minute) * 60 + second }
}

/// One cron field as the oracle reads it: a list of stepped ranges, written independently of the production parser.
struct OracleField {
    var items: [(low: Int, high: Int, step: Int)] = []
    var starred = false

    func contains(_ value: Int) -> Bool {
        items.contains { value >= $0.low && value <= $0.high && (value - $0.low) % $0.step == 0 }
    }

    /// Parses the field; `openHigh` is where `*` and `a/n` stop, and `names` map to `low`, `low + 1`, ….
    init?(_ text: String, low: Int, openHigh: Int, names: [String] = [], sundayEndsAtSeven: Bool = false) {
        starred = text.hasPrefix("*")
        func number(_ token: Substring, isEnd: Bool) -> Int? {
            if let value = Int(token) { return value }
            guard let index = names.firstIndex(of: token.uppercased()) else { return nil }
            return sundayEndsAtSeven && isEnd && index == 0 ? 7 : low + index
        }
        for item in text.split(separator: ",") {
            let slash = item.split(separator: "/")
            let step = slash.count == 2 ? Int(slash[1]) : 1
            guard let step, step > 0 else { return nil }
            let base = slash[0]
            if base == "*" {
                items.append((low, openHigh, step))
            } else if base.contains("-") {
                let ends = base.split(separator: "-")
                guard ends.count == 2, let a = number(ends[0], isEnd: false), let b = number(ends[1], isEnd: true)
                else { return nil }
                items.append((a, b, step))
            } else {
                guard let a = number(base, isEnd: false) else { return nil }
                items.append((a, slash.count == 2 ? max(a, openHigh) : a, step))
            }
        }
    }
}

/// A cron expression matched field by field against wall-clock readings.
struct OracleCron {
    var second: OracleField?
    var minute: OracleField
    var hour: OracleField
    var dayOfMonth: OracleField
    var month: OracleField
    var dayOfWeek: OracleField

    init?(_ text: String) {
        var fields = text.split(separator: " ").map(String.init)
        if fields.count == 6 {
            guard let seconds = OracleField(fields.removeFirst(), low: 0, openHigh: 59) else { return nil }
            second = seconds
        }
        let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        let days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        guard fields.count == 5,
            let minute = OracleField(fields[0], low: 0, openHigh: 59),
            let hour = OracleField(fields[1], low: 0, openHigh: 23),
            let dayOfMonth = OracleField(fields[2], low: 1, openHigh: 31),
            let month = OracleField(fields[3], low: 1, openHigh: 12, names: months),
            let dayOfWeek = OracleField(fields[4], low: 0, openHigh: 6, names: days, sundayEndsAtSeven: true)
        else { return nil }
        self.minute = minute
        self.hour = hour
        self.dayOfMonth = dayOfMonth
        self.month = month
        self.dayOfWeek = dayOfWeek
    }

    var hasSeconds: Bool { second != nil }

    func matches(_ wall: OracleWall) -> Bool {
        guard second?.contains(wall.second) ?? (wall.second == 0), minute.contains(wall.minute),
            hour.contains(wall.hour), month.contains(wall.month)
        else { return false }
        let byDay = dayOfMonth.contains(wall.day)
        let byWeekday = dayOfWeek.contains(wall.weekday) || (wall.weekday == 0 && dayOfWeek.contains(7))
        return dayOfMonth.starred || dayOfWeek.starred ? byDay && byWeekday : byDay || byWeekday
    }
}

/// Walks instant by instant (each minute, or each second for six fields) and decides for each whether it fires.
///
/// An instant fires when its wall-clock reading matches and is later than every reading before it (so the second
/// pass through a repeated hour is skipped), or when the clock jumped forward onto it and some skipped reading
/// matches. Local readings come from Foundation's `Calendar`; skipped readings are enumerated by stepping a UTC
/// calendar through the gap.
struct OracleWalker {
    let cron: OracleCron
    let calendar: Calendar
    let utc: Calendar
    let unit: Int

    /// Counters that show the daylight-saving paths were exercised.
    var gapFires = 0
    var skippedRepeats = 0

    init(cron: OracleCron, zone: TimeZone) {
        self.cron = cron
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.calendar = calendar
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(secondsFromGMT: 0) ?? zone
        self.utc = utc
        unit = cron.hasSeconds ? 1 : 60
    }

    private func wall(_ date: Date, in calendar: Calendar) -> OracleWall {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        return OracleWall(
            year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0, hour: parts.hour ?? 0,
            minute: parts.minute ?? 0, second: parts.second ?? 0, weekday: (parts.weekday ?? 1) - 1)
    }

    /// The wall-clock reading as if it were a UTC instant, so readings can be subtracted and stepped.
    private func linear(_ wall: OracleWall) -> Date? {
        utc.date(
            from: DateComponents(
                year: wall.year, month: wall.month, day: wall.day,
                hour: wall.hour, minute: wall.minute, second: wall.second))
    }

    /// The firing instants in `(start, end]`, at most `limit`, in seconds since the epoch.
    mutating func fires(after start: Double, through end: Double, limit: Int) -> [Int] {
        let unitDouble = Double(unit)
        // Starting two hours early lets the walk see a fall-back that happened just before `start`.
        var t = Int(((start - 7200) / unitDouble).rounded(.down)) * unit
        let before = wall(Date(timeIntervalSince1970: Double(t - unit)), in: calendar)
        var previousLinear = linear(before)
        var highWater = before.key
        var result: [Int] = []
        while Double(t) <= end && result.count < limit {
            let current = wall(Date(timeIntervalSince1970: Double(t)), in: calendar)
            let currentLinear = linear(current)
            var fires = false
            if current.key > highWater {
                fires = cron.matches(current)
            } else if cron.matches(current) && Double(t) > start {
                skippedRepeats += 1
            }
            if !fires, let from = previousLinear, let to = currentLinear, to.timeIntervalSince(from) > unitDouble {
                var probe = from.addingTimeInterval(unitDouble)
                while probe < to {
                    let skipped = wall(probe, in: utc)
                    if skipped.key > highWater && cron.matches(skipped) {
                        fires = true
                        if Double(t) > start { gapFires += 1 }
                        break
                    }
                    probe = probe.addingTimeInterval(unitDouble)
                }
            }
            if fires && Double(t) > start {
                result.append(t)
            }
            highWater = max(highWater, current.key)
            previousLinear = currentLinear
            t += unit
        }
        return result
    }
}

/// SplitMix64, a tiny seeded generator so the property test is reproducible.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double(next() % 1_000_000) < probability * 1_000_000
    }

    mutating func pick<T>(_ options: [T]) -> T {
        options[int(0...(options.count - 1))]
    }
}
