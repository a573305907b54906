import ConveyorCore
import ConveyorSQLite
import ConveyorServer
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Testing

/// The limiter as a service: it keeps the store's table from growing with time.
@Suite("Rate limiter service")
struct RateLimiterServiceTests {
    @Test("passed windows are pruned in the background: the table holds only keys with requests in their window")
    func prunes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conveyor-limiter-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("conveyor.sqlite").path
        let store = try await SQLiteJobStore.open(path: path)
        let limiter = RateLimiter(
            store: store,
            configuration: .init(
                policy: try RateLimitPolicy(requests: 10, windowSeconds: 2), probeInterval: .milliseconds(50),
                pruneInterval: .milliseconds(100)),
            logger: Logger(label: "test"))
        let group = ServiceGroup(services: [limiter], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        let database = try DatabaseQueue(path: path)
        func rows() async throws -> Int {
            try await database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM rate_limit_requests") ?? 0 }
        }
        // Three rounds of the same 20 clients: the table never holds more than those 20 keys, and
        // once they stop it empties by itself. (How many of them are there at a given moment
        // depends on when the pruning ran, so only the bounds are checked.)
        for _ in 0..<3 {
            for client in 0..<20 { _ = await limiter.decide(.client(address: "192.0.2.\(client)")) }
            let held = try await rows()
            #expect((1...20).contains(held))
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while try await rows() > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await rows() == 0, "passed windows were not pruned")
        let hits = try await database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM rate_limit_hits") ?? 0 }
        #expect(hits == 0, "the pruned windows' counts were left behind")
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
