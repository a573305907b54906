import ConveyorCore
import Foundation
import Testing

/// Random valid expressions, zones and start instants, checked against the instant-by-instant oracle.
@Suite("Property: nextTick agrees with an instant-by-instant oracle")
struct CronOraclePropertyTests {
    static let zones = [
        "UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/St_Johns",
        "Pacific/Chatham",
    ]

    /// Builds random fields, leaning toward values near the start so that restrictive fields still fire within
    /// the oracle's window, and toward the small hours where daylight-saving changes happen.
    struct ExpressionGenerator {
        var random: SplitMix64

        static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

        /// A value written as a number or, where the field has names, sometimes as a name.
        mutating func token(_ value: Int, low: Int, names: [String]) -> String {
            let index = value - low
            if !names.isEmpty, index < names.count, random.chance(0.35) {
                let name = names[index]
                return random.chance(0.3) ? name.lowercased() : name
            }
            return String(value)
        }

        /// One list item of a field spanning `low...high`; `near` values are preferred for single values.
        mutating func item(low: Int, high: Int, names: [String], near: [Int]) -> String {
            let a = near.isEmpty || random.chance(0.4) ? random.int(low...high) : random.pick(near)
            switch random.int(0...5) {
            case 0:
                return token(a, low: low, names: names)
            case 1:
                let b = random.int(a...min(high, a + random.int(0...(high - low))))
                return token(a, low: low, names: names) + "-" + token(b, low: low, names: names)
            case 2:
                return "*/\(random.int(1...max(1, (high - low + 1) / 2)))"
            case 3:
                let b = random.int(a...high)
                return token(a, low: low, names: names) + "-" + token(b, low: low, names: names)
                    + "/\(random.int(1...max(1, high - low)))"
            case 4:
                return token(a, low: low, names: names) + "/\(random.int(1...max(1, (high - low + 1) / 2)))"
            default:
                return token(a, low: low, names: names)
            }
        }

        /// A whole field: `*` with probability `star`, otherwise one to three items.
        mutating func field(low: Int, high: Int, names: [String] = [], near: [Int] = [], star: Double) -> String {
            if random.chance(star) { return "*" }
            let count = random.chance(0.7) ? 1 : random.int(2...3)
            return (0..<count).map { _ in item(low: low, high: high, names: names, near: near) }.joined(separator: ",")
        }

        mutating func dayOfWeek(near weekday: Int) -> String {
            if random.chance(0.08) { return random.pick(["MON-SUN", "FRI-SUN", "5-7", "7", "0,7", "sat-sun"]) }
            return field(low: 0, high: 6, names: Self.dayNames, near: [weekday, (weekday + 1) % 7], star: 0.55)
        }

        /// A five-field expression for a start whose local date is `day`.
        mutating func fiveFields(near day: OracleWall) -> String {
            let minute = field(low: 0, high: 59, star: 0.25)
            let hour = field(low: 0, high: 23, near: [0, 1, 2, 3, 4], star: 0.35)
            let dayOfMonth = field(
                low: 1, high: 31, near: [day.day, min(31, day.day + 1), min(31, day.day + 2)],
                star: 0.55)
            let month = field(
                low: 1, high: 12, names: Self.monthNames, near: [day.month, day.month % 12 + 1],
                star: 0.7)
            return [minute, hour, dayOfMonth, month, dayOfWeek(near: day.weekday)].joined(separator: " ")
        }

        /// A six-field expression; minutes stay dense and hours are `*` so ticks are frequent.
        mutating func sixFields(near day: OracleWall) -> String {
            let second = field(low: 0, high: 59, star: 0.15)
            let minute = random.pick(["*", "*", "*/2", "0-40", "*/15", "10-59"])
            let dayOfMonth = field(low: 1, high: 31, near: [day.day], star: 0.8)
            let month = field(low: 1, high: 12, names: Self.monthNames, near: [day.month], star: 0.85)
            return [second, minute, "*", dayOfMonth, month, dayOfWeek(near: day.weekday)].joined(separator: " ")
        }
    }

    /// A start instant: often shortly before one of the zone's offset changes, otherwise anywhere in 2000–2035,
    /// and sometimes off the whole minute or second to exercise "strictly after".
    static func startInstant(_ random: inout SplitMix64, zone: TimeZone, before window: Int) -> Double {
        let anywhere = Double(random.int(946_684_800...2_082_758_400))
        var start = anywhere
        if random.chance(0.7),
            let change = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: anywhere))
        {
            // Frequent schedules reach their five ticks quickly, so half the starts are within three hours.
            let lead = random.chance(0.5) ? min(window, 3 * 3600) : window
            start = change.timeIntervalSince1970 - Double(random.int(0...lead))
        }
        start = (start / 60).rounded(.down) * 60
        switch random.int(0...3) {
        case 0: return start + Double(random.int(0...59))
        case 1: return start + Double(random.int(0...59)) + 0.5
        default: return start
        }
    }

    @Test(arguments: zones.indices)
    func agreesWithTheOracle(zoneIndex: Int) throws {
        let zoneName = Self.zones[zoneIndex]
        let zone = try zone(zoneName)
        var generator = ExpressionGenerator(random: SplitMix64(state: 0xC0FFEE + UInt64(zoneIndex) * 7919))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone

        var casesWithTicks = 0
        var ticksCompared = 0
        var gapFires = 0
        var skippedRepeats = 0
        let fiveFieldCases = 80
        let sixFieldCases = 20
        for caseIndex in 0..<(fiveFieldCases + sixFieldCases) {
            let sixFields = caseIndex >= fiveFieldCases
            // Five fields: a four-day window walked minute by minute; six fields: two hours second by second.
            let window = sixFields ? 2 * 3600 : 4 * 86_400
            let start = Self.startInstant(&generator.random, zone: zone, before: sixFields ? 5400 : 36 * 3600)
            let parts = calendar.dateComponents([.day, .month, .weekday], from: Date(timeIntervalSince1970: start))
            let day = OracleWall(
                year: 0, month: parts.month ?? 1, day: parts.day ?? 1, hour: 0, minute: 0,
                second: 0, weekday: (parts.weekday ?? 1) - 1)

            var text = ""
            var expression: CronExpression?
            for _ in 0..<20 where expression == nil {
                text = sixFields ? generator.sixFields(near: day) : generator.fiveFields(near: day)
                expression = try? CronExpression(text)
            }
            let cron = try #require(expression, "no valid expression generated; last was \(text)")
            let oracleCron = try #require(OracleCron(text), "oracle could not read \(text)")

            var oracle = OracleWalker(cron: oracleCron, zone: zone)
            let end = start + Double(window)
            let expected = oracle.fires(after: start, through: end, limit: 5)
            gapFires += oracle.gapFires
            skippedRepeats += oracle.skippedRepeats

            let startDate = Date(timeIntervalSince1970: start)
            let context = "\(text) in \(zoneName) after \(iso(startDate)) (\(start))"
            let next = cron.nextTicks(after: startDate, in: zone, count: 5).map { Int($0.timeIntervalSince1970) }
            let inWindow = next.filter { Double($0) <= end }
            #expect(inWindow == expected, "\(context)")
            if let first = expected.first {
                #expect(cron.nextTick(after: startDate, in: zone).map { Int($0.timeIntervalSince1970) } == first)
            }
            let caughtUp = cron.ticks(after: startDate, through: Date(timeIntervalSince1970: end), in: zone, limit: 5)
            #expect(caughtUp.map { Int($0.timeIntervalSince1970) } == expected, "ticks(after:through:) \(context)")
            if !expected.isEmpty { casesWithTicks += 1 }
            ticksCompared += expected.count
        }
        // Guard against a vacuous test: most cases must have ticks in the window, and zones with daylight saving
        // must have exercised both the gap rule and the repeated-hour rule.
        #expect(casesWithTicks * 10 >= (fiveFieldCases + sixFieldCases) * 6, "only \(casesWithTicks) cases ticked")
        #expect(ticksCompared > 100)
        if !["UTC", "Asia/Kolkata"].contains(zoneName) {
            #expect(gapFires > 0, "no gap fire exercised in \(zoneName)")
            #expect(skippedRepeats > 0, "no repeated wall time exercised in \(zoneName)")
        }
    }
}
