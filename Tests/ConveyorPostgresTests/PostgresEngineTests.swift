import ConveyorCore
@_spi(Testing) import ConveyorPostgres
import ConveyorTestSupport
import Foundation
import Testing

/// Behaviour specific to the PostgreSQL engine: migrations under a lock, the SQL an operator uses,
/// real concurrency between stores, and what an unreachable server looks like.
@Suite(
    "PostgreSQL engine", .enabled(if: TestPostgres.available, "needs CONVEYOR_TEST_POSTGRES_URL (scripts/test sets it)")
)
struct PostgresEngineTests {
    @Test("the bundled migrations are numbered from 1 without gaps and include the seed's")
    func bundled() {
        let labels = PostgresMigrator.bundled.map(\.label)
        #expect(PostgresMigrator.bundled.map(\.version) == Array(1...labels.count))
        #expect(labels.contains("003_rate_limit_requests"))
        #expect(labels.contains("004_find_stale_jobs"))
    }

    @Test("processes starting together migrate once; migrating again is a no-op")
    func concurrentMigrations() async throws {
        let schema = TestPostgres.schema()
        defer { Task { await TestPostgres.drop(schema) } }
        let stores = try await withThrowingTaskGroup(of: PostgresJobStore.self) { group in
            for _ in 0..<4 { group.addTask { try await TestPostgres.open(schema: schema) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { stores.forEach { $0.close() } }
        let statuses = try await stores[0].migrator().status()
        #expect(statuses.count == PostgresMigrator.bundled.count)
        #expect(statuses.allSatisfy { $0.appliedAt != nil })
        #expect(try await stores[1].migrator().migrate(at: Date()).isEmpty)
    }

    @Test("a landed migration whose text changed is refused with an error naming it")
    func changedMigrationRefused() async throws {
        let schema = TestPostgres.schema()
        let store = try await TestPostgres.open(schema: schema)
        defer { store.close() }
        var edited = PostgresMigrator.bundled
        let first = edited[0]
        edited[0] = Migration(version: first.version, name: first.name, sql: first.sql + "\n-- edited\n")
        await #expect(
            throws: MigrationError.changedAfterApply(
                label: "001_jobs", recorded: first.checksum, current: edited[0].checksum)
        ) {
            try await store.migrator(migrations: edited).migrate(at: Date())
        }
        await TestPostgres.drop(schema)
    }

    @Test("an operator finds stale jobs with find_stale_jobs and stale_jobs_view from SQL")
    func staleJobsInSQL() async throws {
        let schema = TestPostgres.schema()
        // The store's clock is real here: the view compares with the server's now().
        let store = try await PostgresJobStore.open(
            url: try #require(TestPostgres.url),
            options: PostgresJobStore.Options(schema: schema, store: JobStoreConformance.options).patient)
        defer { store.close() }
        _ = try await store.enqueue(NewJob(customer: "acme", queue: "mail", type: "t", payloadJSON: "{}"))
        let job = try #require(try await store.claim(ClaimRequest(queues: ["mail"], lease: .seconds(1))).first)
        try await store.execute("UPDATE jobs SET lease_expires_at = now() - interval '10 minutes'")
        #expect(
            try await store.scalarStrings("SELECT id FROM find_stale_jobs(interval '5 minutes')") == [
                job.id.description
            ])
        #expect(try await store.scalarStrings("SELECT id FROM find_stale_jobs(interval '1 hour')").isEmpty)
        #expect(try await store.scalarStrings("SELECT id FROM stale_jobs_view") == [job.id.description])
        #expect(try await store.staleJobs(grace: .seconds(60)).map(\.id) == [job.id])
        let rescued = try await store.rescueStaleJobs(grace: .seconds(60))
        #expect(rescued.map(\.state) == [.retryable])
        #expect(try await store.scalarStrings("SELECT id FROM stale_jobs_view").isEmpty)
        #expect(
            try await store.scalarStrings("SELECT to_regclass('rate_limit_requests')::text") == ["rate_limit_requests"])
        await TestPostgres.drop(schema)
    }

    @Test("two stores (as two processes) drain jobs with SKIP LOCKED, each job exactly once")
    func twoStoresShareOneDatabase() async throws {
        let schema = TestPostgres.schema()
        let first = try await TestPostgres.open(schema: schema)
        let second = try await TestPostgres.open(schema: schema)
        defer {
            first.close()
            second.close()
        }
        let jobs = try (0..<600).map {
            try NewJob(customer: "acme", queue: "default", type: "t", payloadJSON: "{\"n\":\($0)}")
        }
        _ = try await first.enqueue(batch: jobs)
        let completed = try await withThrowingTaskGroup(of: [JobID].self) { group in
            for store in [first, second, first, second] {
                group.addTask {
                    var done: [JobID] = []
                    while case let claimed = try await store.claim(ClaimRequest(queues: ["default"], limit: 5)),
                        !claimed.isEmpty
                    {
                        let results = try await store.complete(
                            batch: claimed.map { Completion(try #require($0.lease)) })
                        done += try results.map { try $0.get().id }
                    }
                    return done
                }
            }
            return try await group.reduce(into: [JobID]()) { $0 += $1 }
        }
        #expect(completed.count == 600)
        #expect(Set(completed).count == 600)
        await TestPostgres.drop(schema)
    }

    @Test("an unreachable server stops opening with one sentence naming it, password hidden")
    func unreachable() async throws {
        // Port 1 on loopback: nothing listens there.
        let url = "postgres://app:secret@127.0.0.1:1/jobs"
        do {
            _ = try await PostgresJobStore.open(url: url, options: .init(connectTimeout: .seconds(2)))
            Issue.record("opening \(url) succeeded")
        } catch let error as JobStoreError {
            #expect(
                error.description.hasPrefix("cannot reach the PostgreSQL server at postgres://app:***@127.0.0.1:1/jobs")
            )
            #expect(!error.description.contains("secret"))
        }
    }
}
