import ConveyorCore
import Foundation
import Testing

@Suite("Migration plans")
struct MigrationPlanTests {
    let one = Migration(version: 1, name: "jobs", sql: "CREATE TABLE jobs (id TEXT);")
    let two = Migration(version: 2, name: "workers", sql: "CREATE TABLE workers (id TEXT);")

    func applied(_ migration: Migration) -> AppliedMigration {
        AppliedMigration(
            version: migration.version, name: migration.name, checksum: migration.checksum, appliedAt: .now)
    }

    @Test("file names parse as NNN_name.sql")
    func fileNames() {
        #expect(Migration(fileName: "005_find_stale_jobs.sql", sql: "")?.label == "005_find_stale_jobs")
        #expect(Migration(fileName: "README.md", sql: "") == nil)
        #expect(Migration(fileName: "x_y.sql", sql: "") == nil)
    }

    @Test("pending migrations are those not applied, in order")
    func pending() throws {
        #expect(try MigrationPlan(available: [two, one], applied: []).pending == [one, two])
        #expect(try MigrationPlan(available: [one, two], applied: [applied(one)]).pending == [two])
        #expect(try MigrationPlan(available: [one, two], applied: [applied(one), applied(two)]).pending.isEmpty)
    }

    @Test("a changed, unknown or duplicated migration is refused")
    func refusals() {
        let edited = Migration(version: 1, name: "jobs", sql: one.sql + " ")
        #expect(
            throws: MigrationError.changedAfterApply(
                label: "001_jobs", recorded: one.checksum, current: edited.checksum)
        ) {
            try MigrationPlan(available: [edited], applied: [applied(one)])
        }
        #expect(throws: MigrationError.unknownApplied(version: 2, name: "workers")) {
            try MigrationPlan(available: [one], applied: [applied(two)])
        }
        #expect(throws: MigrationError.duplicateVersion(1)) {
            try MigrationPlan(available: [one, edited], applied: [])
        }
    }
}
