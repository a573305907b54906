import ConveyorCore
import ConveyorSQLite
import ConveyorTestSupport
import GRDB
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
        // Whatever the check did, the file it leaves behind is a sound SQLite database.
        let integrity = try await DatabaseQueue(path: database.path).read { db in
            try String.fetchOne(db, sql: "PRAGMA integrity_check")
        }
        #expect(integrity == "ok")
    }
}
