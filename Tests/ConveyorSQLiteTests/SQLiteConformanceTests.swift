import ConveyorCore
import ConveyorSQLite
import ConveyorTestSupport
import Testing

/// The store conformance suite against the SQLite engine, one fresh database file per check.
@Suite("SQLite store conformance")
struct SQLiteConformanceTests {
    @Test(arguments: JobStoreConformance.checks)
    func conformance(_ check: StoreConformanceCheck) async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let clock = TestClock()
        try await check.run(StoreHarness(store: try await database.open(clock: clock), clock: clock))
    }
}
