public import Foundation

/// Migration is one numbered schema change (`NNN_name.sql`). Landed migrations are never edited:
/// the checksum of each applied one is recorded, and a changed text is refused at start-up.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String

    /// Creates a migration from its parts.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Parses a file name of the form `NNN_name.sql`; nil for any other name.
    public init?(fileName: String, sql: String) {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
            return nil
        }
        self.init(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql)
    }

    /// `NNN_name`, the way operators and errors refer to it.
    public var label: String { String(format: "%03d_%@", version, name) }

    /// SHA-256 of the SQL text, hex encoded.
    public var checksum: String {
        SHA256Hex.of(sql)
    }
}

/// AppliedMigration is a row of `schema_migrations`.
public struct AppliedMigration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let checksum: String
    public let appliedAt: Date

    /// Creates a record.
    public init(version: Int, name: String, checksum: String, appliedAt: Date) {
        self.version = version
        self.name = name
        self.checksum = checksum
        self.appliedAt = appliedAt
    }
}

/// MigrationStatus is one line of `conveyor migrate status`.
public struct MigrationStatus: Sendable, Hashable {
    public let migration: Migration
    /// When it was applied; nil while pending.
    public let appliedAt: Date?
}

/// MigrationError says why the schema cannot be brought up to date; nothing was applied.
public enum MigrationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An applied migration's text differs from the one this program carries.
    case changedAfterApply(label: String, recorded: String, current: String)
    /// The database has a migration this program does not know: it was migrated by a newer version.
    case unknownApplied(version: Int, name: String)
    /// Two migration files share a version number.
    case duplicateVersion(Int)

    public var description: String {
        switch self {
        case .changedAfterApply(let label, let recorded, let current):
            "migration \(label) was changed after it was applied (recorded checksum \(recorded.prefix(12)), now \(current.prefix(12))); landed migrations are never edited — add a new migration instead"
        case .unknownApplied(let version, let name):
            "the database has migration \(String(format: "%03d", version))_\(name), which this version of conveyor does not know; it was migrated by a newer conveyor"
        case .duplicateVersion(let version):
            "two migrations share version \(version)"
        }
    }
}

/// MigrationPlan compares the migrations a program carries with those a database applied. It is
/// pure, so that every engine refuses the same things in the same words.
public struct MigrationPlan: Sendable {
    public let statuses: [MigrationStatus]

    /// Builds the plan, or throws if the applied history is not a prefix-compatible match.
    public init(available: [Migration], applied: [AppliedMigration]) throws(MigrationError) {
        var byVersion: [Int: Migration] = [:]
        for migration in available {
            guard byVersion[migration.version] == nil else { throw .duplicateVersion(migration.version) }
            byVersion[migration.version] = migration
        }
        var appliedAt: [Int: Date] = [:]
        for record in applied {
            guard let migration = byVersion[record.version] else {
                throw .unknownApplied(version: record.version, name: record.name)
            }
            guard migration.checksum == record.checksum else {
                throw .changedAfterApply(label: migration.label, recorded: record.checksum, current: migration.checksum)
            }
            appliedAt[record.version] = record.appliedAt
        }
        statuses = available.sorted { $0.version < $1.version }.map {
            MigrationStatus(migration: $0, appliedAt: appliedAt[$0.version])
        }
    }

    /// Migrations still to apply, in order.
    public var pending: [Migration] { statuses.filter { $0.appliedAt == nil }.map(\.migration) }
}

extension Migration {
    /// The numbered `.sql` files in `directory` (an engine's bundled `Migrations` folder), in
    /// version order; a file whose name is not `NNN_name.sql`, or that cannot be read, is skipped.
    public static func files(in directory: URL?) -> [Migration] {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            return []
        }
        return names.compactMap { name in
            guard let sql = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) else {
                return nil
            }
            return Migration(fileName: name, sql: sql)
        }.sorted { $0.version < $1.version }
    }
}
