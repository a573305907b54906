public import Foundation

extension CronExpression {
    /// The first instant strictly after `instant` at which the schedule fires.
    ///
    /// Calendar expressions match the local wall clock of `zone` (Gregorian calendar). Five-field expressions fire
    /// at second 0 of a matching minute, six-field ones on their selected seconds. Daylight-saving changes follow two
    /// rules:
    ///
    /// - Spring forward: matching wall-clock times that the change skips fire once, at the instant of the change
    ///   (the first instant after the gap, e.g. 03:00 CEST for 02:30 in Europe/Berlin on 2026-03-29). Any number of
    ///   skipped matches, together with a match at the first wall-clock time after the gap, make one fire.
    /// - Fall back: a repeated wall-clock time fires only at its first occurrence; nothing fires while the clock
    ///   goes over the repeated times a second time.
    ///
    /// Interval expressions (`@every`) fire on the next multiple of the interval since 1970-01-01T00:00:00Z, and
    /// `zone` is ignored.
    ///
    /// - Returns: The tick, or nil when there is none before the end of year 9999.
    public func nextTick(after instant: Date, in zone: TimeZone) -> Date? {
        guard let earliest = CronInstantRange.firstWholeSecond(after: instant) else { return nil }
        switch schedule {
        case .interval(let seconds):
            // The smallest multiple at or after `earliest` is the smallest one strictly after `instant`.
            let tick = CivilCalendar.floorDivide(earliest + seconds - 1, seconds) * seconds
            return CronInstantRange.date(tick)
        case .calendar(let fields):
            let tick = CronZoneWalk(fields: fields, zone: zone).firstTick(atOrAfter: earliest)
            return tick.flatMap(CronInstantRange.date)
        }
    }

    /// The next `count` ticks after `instant`, earliest first; fewer only if the schedule runs past year 9999.
    public func nextTicks(after instant: Date, in zone: TimeZone, count: Int) -> [Date] {
        var ticks: [Date] = []
        var cursor = instant
        while ticks.count < count, let tick = nextTick(after: cursor, in: zone) {
            ticks.append(tick)
            cursor = tick
        }
        return ticks
    }

    /// The ticks in `(after, through]`, earliest first, at most `limit` of them.
    ///
    /// When more than `limit` ticks fall in the range the earliest ones are returned, which is what catching up on
    /// missed ticks needs: the caller can resume from the last one returned.
    public func ticks(after start: Date, through end: Date, in zone: TimeZone, limit: Int) -> [Date] {
        var ticks: [Date] = []
        var cursor = start
        while ticks.count < limit, let tick = nextTick(after: cursor, in: zone), tick <= end {
            ticks.append(tick)
            cursor = tick
        }
        return ticks
    }
}

/// Walks a time zone's stretches of constant UTC offset to find the first tick of a calendar schedule.
///
/// Between two offset changes, wall-clock time is the instant plus a fixed offset, so the first matching wall-clock
/// time in a stretch converts straight back to an instant. The walk keeps the latest wall-clock time already passed
/// (the "high-water mark"): after a fall-back the clock repeats times below that mark, and skipping them is exactly
/// "fire only at the first occurrence". After a spring-forward the wall-clock times between the old and the new
/// offset never happen; if the schedule matches any of them, the walk fires once at the change itself.
struct CronZoneWalk {
    let fields: CronCalendarFields
    /// The zone's UTC offset in seconds at an instant (whole seconds since the epoch).
    let offset: (Int) -> Int
    /// The zone's first offset change strictly after an instant, if it reports one.
    let reportedTransition: (Int) -> Int?

    init(fields: CronCalendarFields, zone: TimeZone) {
        self.fields = fields
        offset = { zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval($0))) }
        reportedTransition = { Self.transition(in: zone, after: $0) }
    }

    /// A walk over made-up zone rules, which lets tests check what happens when a change goes unreported.
    init(fields: CronCalendarFields, offset: @escaping (Int) -> Int, reportedTransition: @escaping (Int) -> Int?) {
        self.fields = fields
        self.offset = offset
        self.reportedTransition = reportedTransition
    }

    /// How far before the requested instant the walk starts, so that a fall-back shortly before it is known.
    ///
    /// Real offset changes move the clock back by at most a few hours; two days leaves a wide margin and still
    /// costs only a transition lookup or two.
    static let lookbackSeconds = 2 * 86_400

    /// An upper bound on the stretches visited; 401 years of twice-yearly changes fit with room to spare.
    static let maximumStretches = 4_000

    /// The first tick at or after `earliest`, in seconds since the Unix epoch.
    func firstTick(atOrAfter earliest: Int) -> Int? {
        var stretchStart = earliest - Self.lookbackSeconds
        var previousOffset = offset(stretchStart - 1)
        var currentOffset = offset(stretchStart)
        var highWater = stretchStart - 1 + previousOffset
        var cache = CronMatchCache(fields: fields)

        for _ in 0..<Self.maximumStretches {
            var stretchEnd = reportedTransition(stretchStart)
            if stretchEnd.map({ $0 > earliest }) ?? true {
                if currentOffset > previousOffset && stretchStart >= earliest {
                    // The clock jumped forward at `stretchStart`, skipping wall-clock times in `gapStart..<gapEnd`.
                    let gapStart = max(stretchStart + previousOffset, highWater + 1)
                    let gapEnd = stretchStart + currentOffset
                    if gapStart < gapEnd, let skipped = cache.nextMatch(atOrAfter: gapStart), skipped < gapEnd {
                        return stretchStart
                    }
                }
                let from = max(max(stretchStart, earliest) + currentOffset, highWater + 1)
                guard let wallClock = cache.nextMatch(atOrAfter: from) else { return nil }
                let instant = wallClock - currentOffset
                if stretchEnd.map({ instant < $0 }) ?? true {
                    if offset(instant) == currentOffset {
                        return instant
                    }
                    // The zone changed its offset inside the stretch without reporting it; end the stretch there.
                    stretchEnd = unreportedChange(after: stretchStart, offset: currentOffset, by: instant)
                }
            }
            guard let end = stretchEnd else { return nil }
            highWater = max(highWater, end - 1 + currentOffset)
            previousOffset = currentOffset
            currentOffset = offset(end)
            stretchStart = end
        }
        return nil
    }

    /// An instant in `(start, end]` where the offset has just changed away from `startOffset`, found by bisection.
    ///
    /// Foundation reports every change for the zones tested, so this is only a safety net; should the offset
    /// change and change back within the range, the stretch is simply treated as unchanged.
    private func unreportedChange(after start: Int, offset startOffset: Int, by end: Int) -> Int {
        var same = start
        var changed = end
        while changed - same > 1 {
            let middle = same + (changed - same) / 2
            if offset(middle) == startOffset {
                same = middle
            } else {
                changed = middle
            }
        }
        return changed
    }

    /// The zone's first offset change strictly after an instant, in whole seconds, or nil if it has no more.
    private static func transition(in zone: TimeZone, after seconds: Int) -> Int? {
        var probe = seconds
        // Foundation reports transitions strictly after the probe; the retry only guards against rounding.
        for _ in 0..<3 {
            let date = Date(timeIntervalSince1970: TimeInterval(probe))
            guard let next = zone.nextDaylightSavingTimeTransition(after: date) else { return nil }
            let value = next.timeIntervalSince1970
            guard value.isFinite, value < Double(CronInstantRange.latest) else { return nil }
            let whole = Int(value.rounded())
            if whole > seconds {
                return whole
            }
            probe += 1
        }
        return nil
    }
}

/// Remembers the last wall-clock search, because successive stretches usually ask for the same far-off match.
///
/// A schedule that fires once a year is searched for again in every stretch before its tick; when the new starting
/// point lies between the previous starting point and the match found from it, that match is still the answer.
private struct CronMatchCache {
    let fields: CronCalendarFields
    var lastFrom: Int?
    var lastMatch: Int?

    init(fields: CronCalendarFields) {
        self.fields = fields
    }

    mutating func nextMatch(atOrAfter from: Int) -> Int? {
        if let lastFrom, let lastMatch, lastFrom <= from, from <= lastMatch {
            return lastMatch
        }
        let match = fields.nextMatch(atOrAfter: from)
        if let match {
            lastFrom = from
            lastMatch = match
        }
        return match
    }
}
