import ConveyorCore
import ConveyorSQLite
import ConveyorTestSupport
import Foundation
import GRDB
import Testing

/// Behaviour specific to the SQLite engine: files, WAL, locking between connections, atomicity.
@Suite("SQLite engine")
struct SQLiteEngineTests {
    @Test("the database runs in WAL mode with a busy timeout")
    func walMode() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        _ = try await database.open()
        let queue = try DatabaseQueue(path: database.path)
        let mode = try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test("two stores on one file (as two processes would) drain jobs without double claims")
    func twoConnectionsShareOneFile() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let clock = TestClock()
        let first = try await database.open(clock: clock)
        let second = try await database.open(clock: clock)
        let jobs = try (0..<300).map {
            try NewJob(customer: "acme", queue: "default", type: "t", payloadJSON: "{\"n\":\($0)}")
        }
        _ = try await first.enqueue(batch: jobs)
        let completed = try await withThrowingTaskGroup(of: [JobID].self) { group in
            for store in [first, second, first, second] {
                group.addTask {
                    var done: [JobID] = []
                    while let job = try await store.claim(ClaimRequest(queues: ["default"], limit: 1)).first {
                        _ = try await store.complete(try #require(job.lease))
                        done.append(job.id)
                    }
                    return done
                }
            }
            return try await group.reduce(into: [JobID]()) { $0 += $1 }
        }
        #expect(completed.count == 300)
        #expect(Set(completed).count == 300)
    }

    @Test("a claim that takes a share's last jobs leaves the share no candidate, in that claim")
    func emptiedShareLeavesAtOnce() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open(clock: TestClock())
        // Claims of 8 take 4 of each of two tied customers: `a` has exactly 4, `b` has 6.
        let jobs = try ["a", "b"].flatMap { customer in
            try (0..<(customer == "a" ? 4 : 6)).map {
                try NewJob(customer: customer, queue: "default", type: "t", payloadJSON: "{\"n\":\($0)}")
            }
        }
        _ = try await store.enqueue(batch: jobs)
        let claimed = try await store.claim(ClaimRequest(queues: ["default"], limit: 8))
        #expect(Dictionary(grouping: claimed, by: \.customer).mapValues(\.count) == ["a": 4, "b": 4])
        // Without looking one job ahead, `a` would still count as waiting, to come up empty in
        // the next claim.
        let queue = try DatabaseQueue(path: database.path)
        let readyAt = try await queue.read { db in
            try Dictionary(
                uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT customer, ready_at FROM queue_shares").map {
                    ($0["customer"] as String, $0["ready_at"] as Int64?)
                })
        }
        #expect(readyAt.keys.sorted() == ["a", "b"])
        #expect(readyAt["a"] ?? 0 == nil, "a's last jobs are claimed: nothing of it waits")
        #expect(readyAt["b"] ?? nil != nil, "b still has 2 jobs waiting")
    }

    @Test("a batch that fails part-way writes none of its jobs")
    func batchIsAtomic() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        // A trigger stands in for any failure the database can raise mid-batch (disk full, I/O error).
        let queue = try DatabaseQueue(path: database.path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse_poison BEFORE INSERT ON jobs WHEN NEW.type = 'poison'
                    BEGIN SELECT RAISE(ABORT, 'poison refused'); END
                    """)
        }
        let batch = try ["ok", "ok", "poison", "ok"].map {
            try NewJob(customer: "acme", queue: "default", type: $0, payloadJSON: "{}")
        }
        await #expect(throws: JobStoreError.self) { try await store.enqueue(batch: batch) }
        #expect(try await store.counts(customer: nil).isEmpty)
    }

    @Test("opening a path in a missing directory fails with a sentence naming the path")
    func unreadablePath() async throws {
        let path = "/nonexistent-\(UUID().uuidString)/conveyor.sqlite"
        do {
            _ = try await SQLiteJobStore.open(path: path)
            Issue.record("opening \(path) succeeded")
        } catch let error as JobStoreError {
            #expect(error.description.contains(path))
            #expect(error.description.hasPrefix("cannot open the database"))
        }
    }
}
