import ConveyorCore
import ConveyorSQLite
import ConveyorTestSupport
import ConveyorWorker
import Foundation
import GRDB
import Synchronization
import Testing

struct Greeting: Codable, Sendable {
    let name: String
}

/// The worker runtime against a real SQLite store: outcomes, leases, wake-ups and shutdown.
@Suite("Worker runtime")
struct WorkerServiceTests {
    @Test("a handler that returns completes its job, with the payload decoded")
    func completes() async throws {
        let names = Mutex<[String]>([])
        var handlers = JobHandlers()
        handlers.register("greet") { (greeting: Greeting, _) in names.withLock { $0.append(greeting.name) } }
        let h = try await WorkerHarness(handlers: handlers)
        defer { h.remove() }
        let jobs = [
            try await h.enqueue(payload: #"{"name":"Ada"}"#), try await h.enqueue(payload: #"{"name":"Grace"}"#),
        ]
        for job in jobs { try await h.waitFor(.completed, of: job.id) }
        #expect(Set(names.withLock { $0 }) == ["Ada", "Grace"])
        for job in jobs { #expect(try await h.store.job(id: job.id)?.state == .completed) }
        try await h.stop()
    }

    @Test(
        "what a handler returns is the job's result: an Encodable as JSON, a JobPayload byte for byte, nothing as none")
    func results() async throws {
        struct Report: Encodable, Sendable {
            let url: String
            let pages: Int
        }
        var handlers = JobHandlers()
        handlers.register("report") { (greeting: Greeting, _) in Report(url: "/r/\(greeting.name)", pages: 3) }
        handlers.register("raw") { _ in try JobPayload(json: #"{"b": 1.50, "a": 1e3}"#) }
        handlers.register("nothing") { (_: Greeting, _) in }
        handlers.register("none") { _ -> Report? in nil }
        let h = try await WorkerHarness(handlers: handlers)
        defer { h.remove() }
        let report = try await h.enqueue(type: "report")
        let raw = try await h.enqueue(type: "raw")
        let nothing = try await h.enqueue(type: "nothing")
        let none = try await h.enqueue(type: "none")
        for job in [report, raw, nothing, none] { try await h.waitFor(.completed, of: job.id) }
        let stored = try await h.store.job(id: report.id)?.result?.text
        #expect(
            try JSONDecoder().decode([String: JSONValue].self, from: Data((stored ?? "").utf8))
                == ["url": .string("/r/Ada"), "pages": .integer(3)])
        #expect(try await h.store.job(id: raw.id)?.result?.text == #"{"b": 1.50, "a": 1e3}"#)
        #expect(try await h.store.job(id: nothing.id)?.result == nil)
        #expect(try await h.store.job(id: none.id)?.result == nil)
        try await h.stop()
    }

    @Test("a result over the limit fails the attempt for good, saying so")
    func resultTooLarge() async throws {
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, _) in String(repeating: "x", count: 100) }
        let h = try await WorkerHarness(handlers: handlers, limits: JobLimits(resultBytes: 64))
        defer { h.remove() }
        let job = try await h.enqueue(maxAttempts: 5)
        let dead = try #require(try await h.waitFor(.failed, of: job.id))
        #expect(dead.state == .dead && dead.deadReason == .nonRetryable)
        #expect(dead.errors.map(\.message) == ["the result is 102 bytes; the limit is 64 bytes"])
        #expect(dead.result == nil)
        try await h.stop()
    }

    @Test("a handler's progress is coalesced to one write a second, the last report winning, the final one kept")
    func progress() async throws {
        let (reported, reportedSignal) = AsyncStream.makeStream(of: Void.self)
        let (go, goSignal) = AsyncStream.makeStream(of: Void.self)
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, context) in
            var turns = go.makeAsyncIterator()
            for step in 1...100 { try context.progress(["step": step]) }
            reportedSignal.yield()
            _ = await turns.next()
            for step in 101...200 { try context.progress(["step": step]) }
            reportedSignal.yield()
            _ = await turns.next()
            try context.progress(["step": 201])
            #expect(throws: ValidationError.self) { try context.progress(String(repeating: "x", count: 5000)) }
        }
        let h = try await WorkerHarness(handlers: handlers)
        defer { h.remove() }
        // Every write that changes a job's progress, counted by the database itself.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)  // the worker writes to the file too
        let database = try DatabaseQueue(
            path: h.directory.appendingPathComponent("conveyor.sqlite").path, configuration: configuration)
        try await database.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE progress_writes (value TEXT);
                    CREATE TRIGGER progress_written AFTER UPDATE OF progress ON jobs
                    WHEN NEW.progress IS NOT OLD.progress
                    BEGIN INSERT INTO progress_writes VALUES (NEW.progress); END;
                    """)
        }
        func writes() async throws -> [String] {
            try await database.read { try String.fetchAll($0, sql: "SELECT value FROM progress_writes ORDER BY rowid") }
        }
        var signals = reported.makeAsyncIterator()
        let job = try await h.enqueue()
        _ = await signals.next()
        try await poll("a first report to be written") { try await !writes().isEmpty }
        goSignal.yield()
        _ = await signals.next()
        // The clock has not moved: the next hundred wait for their turn, one second on, when the
        // latest of them is written.
        h.clock.advance(by: .seconds(1))
        try await poll("the latest report to be written when its turn came") {
            try await writes().last == #"{"step":200}"#
        }
        goSignal.yield()
        try await h.waitFor(.completed, of: job.id)
        let written = try await writes()
        #expect(written.count == 3, "\(written)")
        #expect(written.suffix(2) == [#"{"step":200}"#, #"{"step":201}"#])
        #expect(try await h.store.job(id: job.id)?.progress?.text == #"{"step":201}"#)
        try await h.stop()
    }

    @Test("a thrown error is retried with backoff, then the job is dead")
    func retriesThenDead() async throws {
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, context) in
            struct SMTPDown: Error {}
            throw SMTPDown()
        }
        let h = try await WorkerHarness(handlers: handlers)
        defer { h.remove() }
        let job = try await h.enqueue(maxAttempts: 2)
        let first = try #require(try await h.waitFor(.failed, of: job.id))
        #expect(first.state == .retryable)
        #expect(first.errors.last?.message == "SMTPDown()")
        #expect(first.runAt > h.clock.now(), "the retry waits for its backoff")
        h.clock.advance(to: first.runAt)
        let second = try #require(try await h.waitFor(.failed, of: job.id, count: 2))
        #expect(second.state == .dead)
        #expect(second.deadReason == .exhausted)
        #expect(second.errors.count == 2)
        try await h.stop()
    }

    @Test("NonRetryableError sends the job straight to the dead-letter queue; so does an undecodable payload")
    func nonRetryable() async throws {
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, _) in throw NonRetryableError("no such mailbox") }
        let h = try await WorkerHarness(handlers: handlers)
        defer { h.remove() }
        let job = try await h.enqueue(maxAttempts: 5)
        let dead = try #require(try await h.waitFor(.failed, of: job.id))
        #expect(dead.state == .dead && dead.deadReason == .nonRetryable)
        #expect(dead.errors.map(\.message) == ["no such mailbox"])

        let garbled = try await h.enqueue(payload: #"{"nom":"Ada"}"#, maxAttempts: 5)
        let undecodable = try #require(try await h.waitFor(.failed, of: garbled.id))
        #expect(undecodable.state == .dead && undecodable.deadReason == .nonRetryable)
        #expect(undecodable.errors.last?.message.hasPrefix("the payload does not decode as Greeting") == true)
        try await h.stop()
    }

    @Test("a snoozed job is released without counting a failure and runs again after its delay")
    func snooze() async throws {
        let attempts = Mutex(0)
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, _) in
            if attempts.withLock({
                $0 += 1; return $0
            }) == 1 {
                throw JobSnooze(for: .seconds(90))
            }
        }
        let h = try await WorkerHarness(handlers: handlers)
        defer { h.remove() }
        let job = try await h.enqueue()
        let released = try #require(try await h.waitFor(.released, of: job.id))
        #expect(released.state == .scheduled)
        #expect(released.attempt == 0)
        #expect(released.runAt == h.clock.now().adding(.seconds(90)))
        h.clock.advance(by: .seconds(90))
        let done = try #require(try await h.waitFor(.completed, of: job.id))
        #expect(done.attempt == 1)
        #expect(done.errors.isEmpty)
        try await h.stop()
    }

    @Test("a handler past its timeout is cancelled and the attempt fails with a timeout error")
    func timeout() async throws {
        let probe = CancellationProbe()
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, _) in try await probe.runUntilCancelled(rethrowing: true) }
        let h = try await WorkerHarness(handlers: handlers, handlerTimeout: .milliseconds(200))
        defer { h.remove() }
        let job = try await h.enqueue()
        let failed = try #require(try await h.waitFor(.failed, of: job.id))
        try await h.waitFor(.timedOut, of: job.id)
        #expect(failed.state == .retryable)
        #expect(failed.errors.last?.message == "timed out after 0.2 s")
        #expect(probe.sawCancellation)
        try await h.stop()
    }

    @Test("heartbeats keep the lease alive while the handler runs longer than the lease")
    func heartbeats() async throws {
        let harness = Mutex<WorkerHarness?>(nil)
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, context) in
            let h = try #require(harness.withLock { $0 })
            func beats() -> Int {
                h.events.all.filter { if case .heartbeat(context.job.id) = $0 { true } else { false } }.count
            }
            // Three times: wait until a heartbeat has renewed the lease from the current store
            // time, then move store time to just before that lease runs out.
            for step in 1...3 {
                let renewedBy = h.clock.now().addingTimeInterval(30)
                while true {
                    let seen = beats()
                    let expiry = try #require(try await h.store.job(id: context.job.id)?.leaseExpiresAt)
                    if expiry >= renewedBy {
                        h.clock.advance(to: expiry.addingTimeInterval(-1))
                        break
                    }
                    try await h.events.wait("heartbeat in step \(step)") { _ in beats() > seen }
                }
            }
        }
        // A renewal is given up on after one interval: 30 ms, then 200 ms, were less than a
        // SQLite write takes on a machine loaded by the whole suite, and no renewal got through.
        let h = try await WorkerHarness(handlers: handlers, heartbeatInterval: .seconds(1))
        defer { h.remove() }
        harness.withLock { $0 = h }
        let job = try await h.enqueue()
        // Three renewals, each a SQLite write that the whole suite's load can make take longer
        // than the interval (then the next one goes): a minute of wall time, not the usual 20 s.
        let done = try #require(try await h.waitFor(.completed, of: job.id, timeout: .seconds(60)))
        let ran = try #require(done.finishedAt).timeIntervalSince(try #require(done.attemptedAt))
        #expect(ran >= 3 * 29, "it ran \(ran) s of store time on a 30 s lease")
        try await h.stop()
    }

    @Test("when a heartbeat finds the lease gone the handler is cancelled and its outcome discarded")
    func leaseLost() async throws {
        let probe = CancellationProbe()
        var handlers = JobHandlers()
        // Even a handler that returns normally after cancellation must not complete the job.
        handlers.register("greet") { (_: Greeting, _) in try await probe.runUntilCancelled(rethrowing: false) }
        let h = try await WorkerHarness(handlers: handlers, heartbeatInterval: .milliseconds(30))
        defer { h.remove() }
        let job = try await h.enqueue()
        try await h.waitFor(.claimed, of: job.id)
        // The lease runs out (a stalled process would see this): the next renewal is refused.
        h.clock.advance(by: .seconds(31))
        try await h.waitFor(.leaseLost, of: job.id)
        #expect(probe.sawCancellation)
        #expect(try await h.store.job(id: job.id)?.state == .running)
        #expect(!h.events.all.contains { EventKind.completed.matches($0, job.id) })
        try await h.stop()
    }

    @Test("a running job cancelled in this process stops its handler at once; nothing of the attempt is recorded")
    func cancelledHere() async throws {
        let probe = CancellationProbe()
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, context) in
            try context.progress(["step": 1])
            try await probe.runUntilCancelled(rethrowing: false)
            return ["url": "/never"]
        }
        // A ten-minute lease, renewed every 200 s: a renewal cannot be what tells the worker.
        let h = try await WorkerHarness(handlers: handlers, lease: .seconds(600))
        defer { h.remove() }
        let job = try await h.enqueue()
        try await h.waitFor(.claimed, of: job.id)
        _ = try await h.store.cancel(id: job.id)
        try await h.waitFor(.cancelled, of: job.id)
        #expect(probe.sawCancellation)
        let stored = try #require(try await h.store.job(id: job.id))
        #expect(stored.state == .cancelled && stored.result == nil && stored.errors.isEmpty)
        #expect(!h.events.all.contains { EventKind.completed.matches($0, job.id) })
        try await h.stop()
    }

    @Test("a job cancelled by another process on the SQLite file is stopped at the next lease renewal")
    func cancelledElsewhere() async throws {
        let probe = CancellationProbe()
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, _) in try await probe.runUntilCancelled(rethrowing: true) }
        let h = try await WorkerHarness(handlers: handlers, heartbeatInterval: .milliseconds(30))
        defer { h.remove() }
        let job = try await h.enqueue()
        try await h.waitFor(.claimed, of: job.id)
        let other = try await SQLiteJobStore.open(
            path: h.directory.appendingPathComponent("conveyor.sqlite").path, clock: h.clock)
        _ = try await other.cancel(id: job.id)
        try await h.waitFor(.cancelled, of: job.id)
        #expect(probe.sawCancellation)
        #expect(try await h.store.job(id: job.id)?.state == .cancelled)
        try await h.stop()
    }

    @Test("an idle worker is woken by an enqueue in the same process, without waiting for a poll")
    func wakesOnEnqueue() async throws {
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, _) in }
        // A poll interval of an hour: only the wake-up can start this job within the test's deadline.
        let h = try await WorkerHarness(handlers: handlers, pollInterval: .seconds(3600))
        defer { h.remove() }
        try await h.events.wait("the queue to go idle") { $0.contains { if case .idle = $0 { true } else { false } } }
        let job = try await h.enqueue()
        try await h.waitFor(.completed, of: job.id)
        try await h.stop()
    }

    @Test("each queue runs at most its concurrency at once")
    func concurrency() async throws {
        let gate = Gate()
        let current = Mutex(0)
        let peak = Mutex(0)
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, _) in
            let now = current.withLock {
                $0 += 1; return $0
            }
            peak.withLock { $0 = max($0, now) }
            await gate.pass()
            current.withLock { $0 -= 1 }
        }
        let h = try await WorkerHarness(handlers: handlers, queues: ["default": 3])
        defer { h.remove() }
        var jobs: [Job] = []
        for _ in 0..<8 { jobs.append(try await h.enqueue()) }
        try await h.events.wait("3 jobs running") {
            $0.filter { if case .claimed = $0 { true } else { false } }.count >= 3
        }
        #expect(try await h.store.counts(customer: nil).first?.counts[.running] == 3)
        gate.open()
        for job in jobs { try await h.waitFor(.completed, of: job.id) }
        #expect(peak.withLock { $0 } == 3)
        try await h.stop()
    }

    @Test("a job of a type with no handler fails, retryable, saying so")
    func unknownType() async throws {
        let h = try await WorkerHarness(handlers: JobHandlers())
        defer { h.remove() }
        let job = try await h.enqueue(type: "mystery")
        let failed = try #require(try await h.waitFor(.failed, of: job.id))
        #expect(failed.state == .retryable)
        #expect(failed.errors.last?.message == "no handler is registered for job type mystery")
        try await h.stop()
    }

    @Test("the registry heartbeat reports how many jobs the worker is running")
    func registryHeartbeat() async throws {
        let gate = Gate()
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, _) in await gate.pass() }
        let h = try await WorkerHarness(handlers: handlers, registryHeartbeatInterval: .milliseconds(20))
        defer { h.remove() }
        let job = try await h.enqueue()
        try await h.waitFor(.claimed, of: job.id)
        try await h.events.wait("a heartbeat reporting the running job") {
            $0.contains { if case .registryHeartbeat(jobsRunning: 1) = $0 { true } else { false } }
        }
        let worker = try #require(try await h.store.workers().first)
        #expect(worker.jobsRunning == 1)
        #expect(worker.lastHeartbeatAt == h.clock.now())
        gate.open()
        try await h.waitFor(.completed, of: job.id)
        try await h.stop()
    }

    @Test("the worker is in the registry while it runs and leaves it when it stops")
    func registry() async throws {
        let h = try await WorkerHarness(handlers: JobHandlers(), queues: ["default": 2, "mail": 3])
        defer { h.remove() }
        let workers = try await h.store.workers()
        #expect(workers.map(\.id) == ["test-worker"])
        #expect(workers.first?.queues == ["default", "mail"])
        #expect(workers.first?.concurrency == 5)
        #expect(workers.first?.pid == Int(ProcessInfo.processInfo.processIdentifier))
        try await h.stop()
        #expect(try await h.store.workers().isEmpty)
    }

    @Test("a job claimed ahead that waited half its lease goes back unstarted, then runs on a fresh claim")
    func staleClaimedAhead() async throws {
        let gate = Gate()
        var handlers = JobHandlers()
        handlers.register("quick") { (_: Greeting, _) in }
        handlers.register("greet") { (_: Greeting, _) in await gate.pass() }
        let h = try await WorkerHarness(
            handlers: handlers, queues: ["default": 1], lease: .seconds(2), heartbeatInterval: .milliseconds(200))
        defer { h.remove() }
        let (running, ahead) = try await h.claimAhead(aheadType: "quick")
        // The waiting job's lease (2 s) is half gone after 1 s: moved on the test clock, which the
        // store and the worker both read, not waited for.
        h.clock.advance(by: .milliseconds(1100))
        gate.open()
        try await h.events.wait("the job claimed ahead handed back") {
            $0.contains { if case .handedBack(ahead.id) = $0 { true } else { false } }
        }
        let done = try #require(try await h.waitFor(.completed, of: ahead.id))
        #expect(done.attempt == 1, "the hand-back gave its attempt back")
        #expect(try await h.store.job(id: running.id)?.state == .completed)
    }
}
