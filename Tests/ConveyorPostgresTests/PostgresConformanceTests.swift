import ConveyorCore
import ConveyorPostgres
import ConveyorTestSupport
import Testing

/// The store conformance suite against the PostgreSQL engine, one fresh schema per check.
@Suite(
    "PostgreSQL store conformance",
    .enabled(if: TestPostgres.available, "needs CONVEYOR_TEST_POSTGRES_URL (scripts/test sets it)"))
struct PostgresConformanceTests {
    @Test(arguments: JobStoreConformance.checks)
    func conformance(_ check: StoreConformanceCheck) async throws {
        let schema = TestPostgres.schema()
        let clock = TestClock()
        let store = try await TestPostgres.open(schema: schema, clock: clock)
        defer { store.close() }
        try await check.run(StoreHarness(store: store, clock: clock))
        // Whatever the check did, the schema's migrations are all still in place.
        #expect(try await store.migrator().status().allSatisfy { $0.appliedAt != nil })
        await TestPostgres.drop(schema)
    }
}
