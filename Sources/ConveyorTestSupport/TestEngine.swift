public import ConveyorCore
@_spi(Testing) import ConveyorPostgres
import ConveyorSQLite
import Foundation
public import Testing

/// TestEngine is a store engine a test runs against: SQLite always, PostgreSQL when `scripts/test`
/// started one (CONVEYOR_TEST_POSTGRES_URL).
public enum TestEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    public static var available: [TestEngine] {
        ProcessInfo.processInfo.environment["CONVEYOR_TEST_POSTGRES_URL"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    public var testDescription: String { rawValue }

    /// A fresh, empty store reading `clock` — a file in a temporary folder, or a schema of its own —
    /// and how to remove it.
    public func openStore(
        clock: any WallClock = SystemClock()
    ) async throws -> (any JobStore, @Sendable () async -> Void) {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "conveyor-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let store = try await SQLiteJobStore.open(
                path: directory.appendingPathComponent("conveyor.sqlite").path, clock: clock)
            return (store, { try? FileManager.default.removeItem(at: directory) })
        case .postgres:
            let url = try #require(ProcessInfo.processInfo.environment["CONVEYOR_TEST_POSTGRES_URL"])
            let schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            let postgres = try await PostgresJobStore.open(
                url: url, clock: clock,
                options: PostgresJobStore.Options(schema: String(schema), maximumConnections: 5).patient)
            // Run as a process runs it: listening, closed when the test is done with it.
            let running = Task { await postgres.run() }
            return (
                postgres,
                {
                    running.cancel()
                    await running.value
                    if let admin = try? await PostgresJobStore.open(
                        url: url, options: .init(migrate: false, maximumConnections: 1, listen: false))
                    {
                        try? await admin.execute("DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE")
                        admin.close()
                    }
                }
            )
        }
    }
}
