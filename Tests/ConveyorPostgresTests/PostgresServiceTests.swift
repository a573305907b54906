import ConveyorCore
@_spi(Testing) import ConveyorPostgres
import ConveyorTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// A store opened for a process's `ServiceGroup` runs its connection pool inside the group.
@Suite(
    "PostgreSQL store as a service",
    .enabled(if: TestPostgres.available, "needs CONVEYOR_TEST_POSTGRES_URL (scripts/test sets it)"))
struct PostgresServiceTests {
    @Test(
        "openService migrates and prepares on a pool of its own; the store answers while its group runs, and its connections close when the group stops"
    )
    func poolRunsInTheGroup() async throws {
        let schema = TestPostgres.schema()
        let name = "service-\(schema)"
        let url = try #require(TestPostgres.url)
        let observer = try await PostgresJobStore.open(
            url: url, options: .init(migrate: false, maximumConnections: 1, listen: false))
        defer { observer.close() }
        @Sendable func connections() async throws -> Int {
            try await observer.scalarStrings(
                "SELECT count(*)::text FROM pg_stat_activity WHERE application_name = '\(name)'"
            ).first.flatMap(Int.init) ?? -1
        }
        let store = try await PostgresJobStore.openService(
            url: url, options: .init(schema: schema, maximumConnections: 2, applicationName: name)
        ) { store in
            _ = try await store.enqueue(NewJob(customer: "acme", queue: "mail", type: "t", payloadJSON: "{}"))
        }
        // The set-up pool ended with openService, and the store's own has not started.
        try await poll("the set-up connections to close") { try await connections() == 0 }

        let group = ServiceGroup(services: [store], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(try await store.counts(customer: "acme").first?.counts[.available] == 1, "prepare's job is there")
            #expect(try await connections() >= 1)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await poll("the store's connections to close") { try await connections() == 0 }
        await TestPostgres.drop(schema)
    }
}
