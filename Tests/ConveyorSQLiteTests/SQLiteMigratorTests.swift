import ConveyorCore
import ConveyorSQLite
import ConveyorTestSupport
import Foundation
import Testing

@Suite("SQLite migrations")
struct SQLiteMigratorTests {
    @Test("the bundled migrations are numbered from 1 without gaps")
    func bundled() {
        let versions = SQLiteMigrator.bundled.map(\.version)
        #expect(!versions.isEmpty)
        #expect(versions == Array(1...versions.count))
    }

    @Test("opening applies every migration once; migrating again is a no-op")
    func idempotent() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let clock = TestClock()
        let store = try await database.open(clock: clock)
        let statuses = try await store.migrator().status()
        #expect(statuses.count == SQLiteMigrator.bundled.count)
        #expect(statuses.allSatisfy { $0.appliedAt == clock.now() })
        #expect(try await store.migrator().migrate(at: clock.now()).isEmpty)
        let reopened = try await database.open(clock: clock)
        #expect(try await reopened.migrator().status() == statuses)
    }

    @Test("a fresh database reports every migration pending until migrated")
    func pendingStatus() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await SQLiteJobStore.open(path: database.path, options: .init(migrate: false))
        #expect(try await store.migrator().status().allSatisfy { $0.appliedAt == nil })
        let applied = try await store.migrator().migrate(at: Date())
        #expect(applied.map(\.version) == SQLiteMigrator.bundled.map(\.version))
    }

    @Test("a landed migration whose text changed is refused with an error naming it")
    func changedMigrationRefused() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        var edited = SQLiteMigrator.bundled
        let first = edited[0]
        edited[0] = Migration(version: first.version, name: first.name, sql: first.sql + "\n-- edited\n")
        let expected = MigrationError.changedAfterApply(
            label: first.label, recorded: first.checksum, current: edited[0].checksum)
        await #expect(throws: expected) { try await store.migrator(migrations: edited).migrate(at: Date()) }
        await #expect(throws: expected) { try await store.migrator(migrations: edited).status() }
        #expect(expected.description.contains("001_jobs"))
    }

    @Test("a new migration is applied on top of landed ones")
    func additiveMigration() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        let next = Migration(
            version: SQLiteMigrator.bundled.count + 1, name: "add_note", sql: "ALTER TABLE jobs ADD COLUMN note TEXT;")
        let applied = try await store.migrator(migrations: SQLiteMigrator.bundled + [next]).migrate(at: Date())
        #expect(applied == [next])
        await #expect(throws: MigrationError.unknownApplied(version: next.version, name: "add_note")) {
            try await store.migrator().status()
        }
    }
}
