import ConveyorCore
@_spi(Testing) import ConveyorPostgres
import ConveyorTestSupport
import Foundation
import Testing

/// TestPostgres gives each test a schema of its own on the throwaway server `scripts/test` starts
/// (CONVEYOR_TEST_POSTGRES_URL); tests that need it are skipped when it is not set.
enum TestPostgres {
    static let url = ProcessInfo.processInfo.environment["CONVEYOR_TEST_POSTGRES_URL"]
    static let available = url != nil

    /// A fresh schema name.
    static func schema() -> String {
        "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
    }

    static func open(
        schema: String, clock: TestClock = TestClock(), options: JobStoreOptions = JobStoreConformance.options,
        migrate: Bool = true
    ) async throws -> PostgresJobStore {
        try await PostgresJobStore.open(
            url: try #require(url), clock: clock,
            options: PostgresJobStore.Options(
                schema: schema, migrate: migrate, maximumConnections: 10, store: options
            ).patient)
    }

    /// Drops the schema and everything in it.
    static func drop(_ schema: String) async {
        guard
            let store = try? await PostgresJobStore.open(
                url: url ?? "", options: .init(migrate: false, maximumConnections: 1, listen: false))
        else { return }
        try? await store.execute("DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE")
        store.close()
    }
}
