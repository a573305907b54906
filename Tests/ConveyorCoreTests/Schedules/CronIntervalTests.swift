import ConveyorCore
import Foundation
import Testing

@Suite("Intervals")
struct CronIntervalTests {
    @Test func ticksAreMultiplesSinceTheEpoch() throws {
        #expect(
            try nextTicks("@every 1h30m", "UTC", after: "1970-01-01T00:00:00Z", count: 2) == [
                "1970-01-01T01:30:00Z", "1970-01-01T03:00:00Z",
            ])
        // 2026-03-29T00:00:00Z is 1774742400 s, which is 328656 × 5400 exactly.
        #expect(
            try nextTicks("@every 1h30m", "UTC", after: "2026-03-29T00:00:00Z", count: 1) == [
                "2026-03-29T01:30:00Z"
            ])
        // 2026-01-01T00:00:00Z is a multiple of 420 s; 00:03:00Z is not, and the next multiple is 00:07:00Z.
        #expect(
            try nextTicks("@every 7m", "UTC", after: "2026-01-01T00:03:00Z", count: 2) == [
                "2026-01-01T00:07:00Z", "2026-01-01T00:14:00Z",
            ])
        // 1_000_000_000 s (2001-09-09T01:46:40Z) lies 160 s past a multiple of 420 s, so the next is 260 s later.
        #expect(
            try nextTicks("@every 7m", "UTC", after: "2001-09-09T01:46:40Z", count: 1) == [
                "2001-09-09T01:51:00Z"
            ])
    }

    @Test func strictlyAfterEvenForFractionalInstants() throws {
        let cron = try CronExpression("@every 30s")
        let utc = try zone("UTC")
        let onTick = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(cron.nextTick(after: onTick, in: utc) == Date(timeIntervalSince1970: 1_800_000_030))
        #expect(cron.nextTick(after: onTick - 0.25, in: utc) == onTick)
        #expect(cron.nextTick(after: onTick + 0.25, in: utc) == Date(timeIntervalSince1970: 1_800_000_030))
        #expect(cron.nextTick(after: Date(timeIntervalSince1970: -45), in: utc) == Date(timeIntervalSince1970: -30))
    }

    @Test func everyResultIsTheNextMultiple() throws {
        let utc = try zone("UTC")
        for text in ["@every 1s", "@every 45s", "@every 13m", "@every 2h", "@every 744h", "@every 1h2m3s"] {
            let cron = try CronExpression(text)
            let seconds = try #require(cron.interval).components.seconds
            for start in stride(from: 1_700_000_000.5, to: 1_700_400_000, by: 37_777.7) {
                let tick = try #require(cron.nextTick(after: Date(timeIntervalSince1970: start), in: utc))
                let value = Int64(tick.timeIntervalSince1970)
                #expect(value % seconds == 0)
                #expect(Double(value) > start && Double(value) <= start + Double(seconds))
            }
        }
    }

    @Test func catchUpReturnsTheEarliestTicksInTheRange() throws {
        let cron = try CronExpression("@every 5m")
        let utc = try zone("UTC")
        let start = try instant("2026-01-01T00:00:00Z")
        let end = try instant("2026-01-01T01:00:00Z")
        let all = cron.ticks(after: start, through: end, in: utc, limit: 100)
        #expect(all.count == 12)
        #expect(all.first.map(iso) == "2026-01-01T00:05:00Z")
        #expect(all.last.map(iso) == "2026-01-01T01:00:00Z")
        #expect(
            cron.ticks(after: start, through: end, in: utc, limit: 3).map(iso) == [
                "2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z", "2026-01-01T00:15:00Z",
            ])
        #expect(cron.ticks(after: start, through: end, in: utc, limit: 0).isEmpty)
        #expect(cron.ticks(after: end, through: start, in: utc, limit: 10).isEmpty)
        #expect(cron.ticks(after: start, through: start + 299, in: utc, limit: 10).isEmpty)
    }
}
