public import ConveyorCore
public import Foundation
import PostgresNIO

/// PostgresMigrator applies the numbered `.sql` files bundled with this target, recording each in
/// `schema_migrations` with its checksum. It holds a transaction-scoped advisory lock while it
/// works, so processes starting together migrate one after the other, and the second finds
/// nothing left to do; all pending migrations apply in that one transaction or none does.
public struct PostgresMigrator: Sendable {
    /// The advisory lock, per schema: processes migrating the same schema take turns, while
    /// databases kept in different schemas of one server (tenants, tests) migrate side by side —
    /// one key for the whole server made 40 test stores queue for each other's migrations until
    /// one gave up.
    static let lockSQL =
        "SELECT pg_advisory_xact_lock(hashtextextended('conveyor-migrate:' || coalesce(current_schema(), ''), 0))"

    let store: PostgresJobStore
    let migrations: [Migration]

    /// The migrations shipped with this program, in version order.
    public static let bundled = Migration.files(in: Bundle.module.url(forResource: "Migrations", withExtension: nil))

    /// Each known migration and when it was applied.
    public func status() async throws -> [MigrationStatus] {
        let applied = try await store.read { connection, _ in try await Self.applied(connection, self.store) }
        return try MigrationPlan(available: migrations, applied: applied).statuses
    }

    /// Applies every pending migration; returns those applied (none when up to date).
    @discardableResult
    public func migrate(at now: Date) async throws -> [Migration] {
        let logger = store.logger
        return try await store.transaction { connection, _ in
            try await connection.query(PostgresQuery(unsafeSQL: Self.lockSQL), logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL
                )
                """, logger: logger)
            // Read under the lock: another process may have migrated meanwhile.
            let pending = try MigrationPlan(available: migrations, applied: try await Self.applied(connection, store))
                .pending
            for migration in pending {
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    """
                    INSERT INTO schema_migrations (version, name, checksum, applied_at)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum), to_timestamp(\(now.unixMilliseconds) / 1000.0))
                    """, logger: logger)
            }
            return pending
        }
    }

    private static func applied(
        _ connection: PostgresConnection, _ store: PostgresJobStore
    ) async throws
        -> [AppliedMigration]
    {
        let exists = try await connection.query(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: store.logger
        ).collect()
        guard try exists.first?.decode(Bool.self) == true else { return [] }
        var result: [AppliedMigration] = []
        for try await (version, name, checksum, appliedAt) in try await connection.query(
            """
            SELECT version::int8, name, checksum, (extract(epoch from applied_at) * 1000)::int8
            FROM schema_migrations ORDER BY version
            """, logger: store.logger
        ).decode((Int, String, String, Int64).self) {
            result.append(
                AppliedMigration(
                    version: version, name: name, checksum: checksum, appliedAt: Date(unixMilliseconds: appliedAt)))
        }
        return result
    }
}
