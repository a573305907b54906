import ConveyorCore
import ConveyorSQLite
import ConveyorTestSupport
import Foundation

/// TemporaryDatabase is a real SQLite file in its own temporary directory, removed by `remove()`.
struct TemporaryDatabase {
    let directory: URL
    var path: String { directory.appendingPathComponent("conveyor.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("conveyor-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func open(
        clock: TestClock = TestClock(), options: JobStoreOptions = JobStoreConformance.options
    ) async throws
        -> SQLiteJobStore
    {
        try await SQLiteJobStore.open(path: path, clock: clock, options: .init(store: options))
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
