import ConveyorCore
import Foundation
import Testing

@Suite("Progress coalescing rule")
struct ProgressThrottleTests {
    let start = Date(unixMilliseconds: 1_800_000_000_000)
    let lease = Lease(jobID: JobID.generate(at: Date(unixMilliseconds: 1_800_000_000_000)), token: "t")

    func report(_ n: Int) throws -> JobPayload { try JobPayload(json: #"{"n":\#(n)}"#) }

    @Test("a job's first report goes at once; later ones wait for the interval, the last one winning")
    func coalesces() throws {
        var throttle = ProgressThrottle(interval: .seconds(1))
        try throttle.offer(report(1), for: lease)
        #expect(throttle.nextTurn == .distantPast)
        #expect(try throttle.due(at: start).map(\.progress) == [report(1)])
        for n in 2...100 { try throttle.offer(report(n), for: lease) }
        #expect(throttle.due(at: start.adding(.milliseconds(999))).isEmpty)
        #expect(throttle.nextTurn == start.adding(.seconds(1)))
        #expect(try throttle.due(at: start.adding(.seconds(1))).map(\.progress) == [report(100)])
        #expect(throttle.nextTurn == nil, "nothing held")
        #expect(throttle.due(at: start.adding(.seconds(5))).isEmpty, "a value is written once")
    }

    @Test("the report still held when an attempt ends is handed back once; jobs are apart")
    func ends() throws {
        var throttle = ProgressThrottle(interval: .seconds(1))
        let other = Lease(jobID: JobID.generate(at: start.adding(.milliseconds(1))), token: "u")
        try throttle.offer(report(1), for: lease)
        _ = throttle.due(at: start)
        try throttle.offer(report(2), for: lease)
        try throttle.offer(report(7), for: other)
        #expect(try throttle.due(at: start).map(\.progress) == [report(7)], "another job's first goes at once")
        #expect(try throttle.end(lease.jobID)?.progress == report(2))
        #expect(throttle.end(lease.jobID) == nil)
        #expect(throttle.end(other.jobID) == nil, "written already")
    }

    @Test("a job whose attempt never ends (its HTTP worker vanished) is forgotten once its interval has passed")
    func forgetsVanishedJobs() throws {
        var throttle = ProgressThrottle(interval: .seconds(1))
        let other = Lease(jobID: JobID.generate(at: start.adding(.milliseconds(1))), token: "u")
        try throttle.offer(report(1), for: lease)
        _ = throttle.due(at: start)
        #expect(throttle.jobs == 1, "kept while its interval runs: a report now would wait")
        try throttle.offer(report(2), for: other)
        _ = throttle.due(at: start.adding(.milliseconds(500)))
        #expect(throttle.jobs == 2)
        _ = throttle.due(at: start.adding(.seconds(2)))
        #expect(throttle.jobs == 0)
        try throttle.offer(report(3), for: lease)
        #expect(
            try throttle.due(at: start.adding(.seconds(2))).map(\.progress) == [report(3)],
            "and its next report goes at once")
    }
}
