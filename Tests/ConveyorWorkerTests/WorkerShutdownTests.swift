import ConveyorCore
import ConveyorTestSupport
import ConveyorWorker
import Logging
import ServiceLifecycle
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

    @Test(
        "a stop in the middle of a drain logs nothing above info, graceful or a cancellation, on either engine",
        arguments: TestEngine.available, [false, true])
    func quietStop(engine: TestEngine, cancelling: Bool) async throws {
        // Four stops each, half while claims are in flight and half once the queue is empty: a
        // claim cut short by the stop was once logged as "claiming failed" at error level at the
        // end of every `conveyor bench` drain, which cancels the task running the worker.
        let (store, remove) = try await engine.openStore()
        for round in 0..<4 {
            let log = CapturedLog()
            let events = EventLog<WorkerEvent>()
            var handlers = JobHandlers()
            handlers.registerFallback { _ in }
            let queue = "quiet-\(round)"
            let worker = try WorkerService(
                store: store, handlers: handlers,
                configuration: WorkerConfiguration(
                    queues: [queue: 4], pollInterval: .milliseconds(20), onEvent: { events.record($0) },
                    logger: log.logger))
            let group = ServiceGroup(services: [worker], logger: Logger(label: "test"))
            let running = cancelling ? Task { try await worker.run() } : Task { try await group.run() }
            _ = try await store.enqueue(
                batch: (0..<100).map { _ in try NewJob(customer: "acme", queue: queue, type: "t", payloadJSON: "{}") })
            let stopAfter = round.isMultiple(of: 2) ? 20 : 100
            // A minute: under the whole suite the machine is shared with dozens of other tests.
            try await events.wait("\(stopAfter) jobs to complete", timeout: .seconds(60)) {
                $0.count { if case .completed = $0 { true } else { false } } >= stopAfter
            }
            if cancelling {
                running.cancel()
            } else {
                await group.triggerGracefulShutdown()
            }
            _ = try? await running.value
            #expect(log.count("", atLeast: .notice) == 0, "\(log.lines(atLeast: .notice))")
        }
        await remove()
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
