import ConveyorCore
@_spi(Testing) import ConveyorPostgres
import ConveyorTestSupport
import ConveyorWorker
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// LISTEN/NOTIFY between two stores, as between two processes on two hosts.
@Suite(
    "PostgreSQL LISTEN/NOTIFY",
    .enabled(if: TestPostgres.available, "needs CONVEYOR_TEST_POSTGRES_URL (scripts/test sets it)"))
struct PostgresNotifyTests {
    static func open(_ schema: String, name: String) async throws -> PostgresJobStore {
        try await PostgresJobStore.open(
            url: try #require(TestPostgres.url),
            options: PostgresJobStore.Options(
                schema: schema, maximumConnections: 4, applicationName: name, store: JobStoreConformance.options
            ).patient)
    }

    @Test(
        "a committed enqueue in one process wakes the other at once; after the listening connection drops, it reconnects"
    )
    func wakesAcrossProcesses() async throws {
        let schema = TestPostgres.schema()
        let listenerName = "listener-\(schema)"
        let (worker, producer, stop) = try await Self.listeningPair(schema, listenerName, "producer-\(schema)")
        defer { stop() }

        let beforeEnqueue = worker.wakeups.ticket()
        _ = try await producer.enqueue(NewJob(customer: "acme", queue: "mail", type: "t", payloadJSON: "{}"))
        #expect(await worker.wakeups.wait(for: ["mail"], after: beforeEnqueue, timeout: .seconds(20)))

        // Drop the listening connection from the server side, as a network failure would.
        let reconnected = worker.listening.ticket()
        try await producer.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(listenerName)' AND query LIKE 'LISTEN%'"
        )
        #expect(
            await worker.listening.wait(for: nil, after: reconnected, timeout: .seconds(20)), "the listener came back")

        let afterReconnect = worker.wakeups.ticket()
        _ = try await producer.enqueue(NewJob(customer: "acme", queue: "billing", type: "t", payloadJSON: "{}"))
        #expect(await worker.wakeups.wait(for: ["billing"], after: afterReconnect, timeout: .seconds(20)))
        await TestPostgres.drop(schema)
    }

    @Test("a resume in one process wakes the other's idle workers on the queues it held")
    func resumeWakesAcrossProcesses() async throws {
        let schema = TestPostgres.schema()
        let listenerName = "resume-listener-\(schema)"
        let (worker, admin, stop) = try await Self.listeningPair(schema, listenerName, "resume-admin-\(schema)")
        defer { stop() }
        _ = try await admin.pause(queue: nil, customer: "acme")
        // The enqueue's own announcement arrives first, so that the one waited for next is the resume's.
        let beforeEnqueue = worker.wakeups.ticket()
        _ = try await admin.enqueue(NewJob(customer: "acme", queue: "reports", type: "t", payloadJSON: "{}"))
        #expect(await worker.wakeups.wait(for: ["reports"], after: beforeEnqueue, timeout: .seconds(20)))
        #expect(try await worker.claim(ClaimRequest(queues: ["reports"])).isEmpty)
        let beforeResume = worker.wakeups.ticket()
        #expect(try await admin.resume(queue: nil, customer: "acme"))
        #expect(await worker.wakeups.wait(for: ["reports"], after: beforeResume, timeout: .seconds(20)))
        #expect(try await worker.claim(ClaimRequest(queues: ["reports"])).count == 1)
        await TestPostgres.drop(schema)
    }

    @Test("a running job's cancel in one process is posted at once to the other, whose worker holds it")
    func cancelAcrossProcesses() async throws {
        let schema = TestPostgres.schema()
        let listenerName = "cancel-listener-\(schema)"
        let (worker, admin, stop) = try await Self.listeningPair(schema, listenerName, "cancel-admin-\(schema)")
        defer { stop() }
        _ = try await admin.enqueue(NewJob(customer: "acme", queue: "reports", type: "t", payloadJSON: "{}"))
        let job = try #require(try await worker.claim(ClaimRequest(queues: ["reports"])).first)
        let (told, tell) = AsyncStream.makeStream(of: Void.self)
        worker.cancellations.watch(job.id) { tell.yield() }
        _ = try await admin.cancel(id: job.id)
        // No lease renewal is involved: the announcement alone reaches the worker's process.
        let posted = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in told { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(20))
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
        tell.finish()
        #expect(posted, "the cancel never reached the other process")
        await TestPostgres.drop(schema)
    }

    @Test("a WorkerService's running handler is stopped at once by a cancel made in another process")
    func workerCancelledAcrossProcesses() async throws {
        let schema = TestPostgres.schema()
        let listenerName = "cancel-worker-\(schema)"
        let (store, admin, stop) = try await Self.listeningPair(schema, listenerName, "cancel-worker-admin-\(schema)")
        defer { stop() }
        let (started, start) = AsyncStream.makeStream(of: Void.self)
        let stopped = Mutex(false)
        var handlers = JobHandlers()
        handlers.register("t") { _ in
            start.yield()
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                stopped.withLock { $0 = true }
                throw error
            }
        }
        let events = EventLog<WorkerEvent>()
        // A ten-minute lease, renewed every 200 s: only the announcement can stop the handler in time.
        let worker = try WorkerService(
            store: store, handlers: handlers,
            configuration: WorkerConfiguration(
                queues: ["reports": 1], lease: .seconds(600), workerID: "cancel-test",
                onEvent: { events.record($0) }, logger: Logger(label: "test")))
        let group = ServiceGroup(services: [worker], logger: Logger(label: "test"))
        let working = Task { try await group.run() }
        let job = try await admin.enqueue(NewJob(customer: "acme", queue: "reports", type: "t", payloadJSON: "{}")).job
        for await _ in started { break }
        _ = try await admin.cancel(id: job.id)
        try await events.wait("the handler to be stopped") {
            $0.contains { if case .cancelled(job.id) = $0 { true } else { false } }
        }
        #expect(stopped.withLock { $0 })
        let stored = try #require(try await admin.job(id: job.id))
        #expect(stored.state == .cancelled && stored.errors.isEmpty)
        await group.triggerGracefulShutdown()
        _ = try? await working.value
        await TestPostgres.drop(schema)
    }

    @Test("a store allowed a single connection still answers queries while it listens")
    func listeningTakesNoQueryConnection() async throws {
        let schema = TestPostgres.schema()
        let name = "single-\(schema)"
        let store = try await PostgresJobStore.open(
            url: try #require(TestPostgres.url),
            options: PostgresJobStore.Options(schema: schema, maximumConnections: 1, applicationName: name).patient)
        let running = Task { await store.run() }
        defer { running.cancel() }
        let listening = store.listening.ticket()
        if try await Self.listeners(store, name) == 0 {
            #expect(await store.listening.wait(for: nil, after: listening, timeout: .seconds(20)))
        }
        // The listener now holds a connection for good; queries must not queue behind it.
        let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = try await store.enqueue(NewJob(customer: "acme", queue: "mail", type: "t", payloadJSON: "{}"))
                return try await store.counts(customer: "acme").first?.counts[.available] == 1
            }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                return false
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
        #expect(answered, "a query waited for the listener's connection")
        await TestPostgres.drop(schema)
    }

    /// Two stores on `schema`, as two processes: the first running as in a process's service group
    /// (listening, under `name`) once its LISTEN is in place, the second to make the changes;
    /// `stop` ends both.
    static func listeningPair(
        _ schema: String, _ name: String, _ otherName: String
    ) async throws -> (PostgresJobStore, PostgresJobStore, @Sendable () -> Void) {
        let listener = try await open(schema, name: name)
        let other = try await open(schema, name: otherName)
        let running = Task { await listener.run() }
        // Listening is set up in the background; wait for it rather than sleep.
        let firstListen = listener.listening.ticket()
        if try await listeners(other, name) == 0 {
            #expect(await listener.listening.wait(for: nil, after: firstListen, timeout: .seconds(20)))
        }
        return (
            listener, other,
            {
                running.cancel()
                other.close()
            }
        )
    }

    static func listeners(_ store: PostgresJobStore, _ name: String) async throws -> Int {
        try await store.scalarStrings(
            "SELECT count(*)::text FROM pg_stat_activity WHERE application_name = '\(name)' AND query LIKE 'LISTEN%'"
        ).first.flatMap(Int.init) ?? 0
    }
}
