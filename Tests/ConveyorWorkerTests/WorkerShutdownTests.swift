import ConveyorCore
import ConveyorTestSupport
import ConveyorWorker
import Synchronization
import Testing

/// Graceful shutdown in process; `conveyor work` under a real SIGTERM is tested in ConveyorCLITests.
@Suite("Worker shutdown")
struct WorkerShutdownTests {
    @Test("shutdown stops claiming and lets running jobs finish within the deadline")
    func drainsRunningJobs() async throws {
        let gate = Gate()
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, _) in await gate.pass() }
        let h = try await WorkerHarness(handlers: handlers, queues: ["default": 1])
        defer { h.remove() }
        let first = try await h.enqueue()
        try await h.waitFor(.claimed, of: first.id)
        let second = try await h.enqueue()
        async let stopped: Void = h.stop()
        try await h.events.wait("draining") { $0.contains { if case .draining = $0 { true } else { false } } }
        gate.open()
        try await stopped
        #expect(try await h.store.job(id: first.id)?.state == .completed)
        #expect(try await h.store.job(id: second.id)?.state == .available, "nothing is claimed after shutdown begins")
        #expect(!h.events.all.contains { EventKind.claimed.matches($0, second.id) })
    }

    @Test("past the deadline, running jobs are interrupted and released at once, their attempt given back")
    func releasesAfterDeadline() async throws {
        let probe = CancellationProbe()
        var handlers = JobHandlers()
        handlers.register("greet") { (_: Greeting, _) in try await probe.runUntilCancelled(rethrowing: false) }
        let h = try await WorkerHarness(handlers: handlers, shutdownTimeout: .milliseconds(100))
        defer { h.remove() }
        let job = try await h.enqueue()
        try await h.waitFor(.claimed, of: job.id)
        try await h.stop()
        let released = try #require(try await h.store.job(id: job.id))
        #expect(released.state == .available)
        #expect(released.attempt == 0)
        #expect(released.errors.isEmpty)
        #expect(released.leaseToken == nil)
        #expect(probe.sawCancellation)
    }

    @Test("jobs claimed ahead but not started go back at once on shutdown, their attempt given back")
    func handsBackClaimedAhead() async throws {
        let gate = Gate()
        var handlers = JobHandlers()
        handlers.register("quick") { (_: Greeting, _) in }
        handlers.register("greet") { (_: Greeting, _) in await gate.pass() }
        let h = try await WorkerHarness(handlers: handlers, queues: ["default": 1])
        defer { h.remove() }
        let (running, ahead) = try await h.claimAhead(aheadType: "greet")
        async let stopped: Void = h.stop()
        try await h.events.wait("draining") { $0.contains { if case .draining = $0 { true } else { false } } }
        gate.open()
        try await stopped
        #expect(try await h.store.job(id: running.id)?.state == .completed)
        let handedBack = try #require(try await h.store.job(id: ahead.id))
        #expect(handedBack.state == .available)
        #expect(handedBack.attempt == 0)
        #expect(handedBack.leaseToken == nil)
        #expect(!h.events.all.contains { EventKind.claimed.matches($0, ahead.id) }, "its handler never started")
        #expect(h.events.all.contains { if case .handedBack(ahead.id) = $0 { true } else { false } })
    }
}
