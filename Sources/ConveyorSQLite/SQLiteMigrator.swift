public import ConveyorCore
public import Foundation
import GRDB

/// SQLiteMigrator applies the numbered `.sql` files bundled with this target and records each in
/// `schema_migrations` with its checksum. All pending migrations apply in one immediate
/// transaction, so two processes starting together cannot both apply one, and a failure leaves the
/// schema as it was.
public struct SQLiteMigrator: Sendable {
    let writer: any DatabaseWriter
    let path: String
    let migrations: [Migration]

    init(writer: any DatabaseWriter, path: String, migrations: [Migration]) {
        self.writer = writer
        self.path = path
        self.migrations = migrations
    }

    /// The migrations shipped with this program, in version order.
    public static let bundled = Migration.files(in: Bundle.module.url(forResource: "Migrations", withExtension: nil))

    /// Each known migration and when it was applied.
    public func status() async throws -> [MigrationStatus] {
        let applied = try await translatingDatabaseErrors(at: path) {
            try await writer.read { db in try Self.applied(db) }
        }
        return try MigrationPlan(available: migrations, applied: applied).statuses
    }

    /// Applies every pending migration; returns those applied (none when up to date).
    @discardableResult
    public func migrate(at now: Date) async throws -> [Migration] {
        try await translatingDatabaseErrors(at: path) { try await applyPending(at: now) }
    }

    private func applyPending(at now: Date) async throws -> [Migration] {
        try await writer.write { [migrations] db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        checksum TEXT NOT NULL,
                        applied_at INTEGER NOT NULL
                    )
                    """)
            // Read inside the write transaction: another process may have migrated meanwhile.
            let pending = try MigrationPlan(available: migrations, applied: try Self.applied(db)).pending
            for migration in pending {
                try db.execute(sql: migration.sql)
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                    arguments: [migration.version, migration.name, migration.checksum, now.unixMilliseconds])
            }
            return pending
        }
    }

    private static func applied(_ db: Database) throws -> [AppliedMigration] {
        guard try db.tableExists("schema_migrations") else { return [] }
        return try Row.fetchAll(
            db, sql: "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
        )
        .map { row in
            AppliedMigration(
                version: row["version"], name: row["name"], checksum: row["checksum"],
                appliedAt: Date(unixMilliseconds: row["applied_at"]))
        }
    }
}
