import ConveyorCore
import PostgresNIO

extension PostgresJobStore {
    /// Runs raw SQL, for operators' tools and tests; not part of the store protocol.
    public func execute(_ sql: String) async throws {
        let logger = self.logger
        _ = try await read { connection, _ in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect().count
        }
    }

    /// Runs raw SQL and returns the first column of every row as text.
    public func scalarStrings(_ sql: String) async throws -> [String] {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect().map {
                try $0.decode(String.self)
            }
        }
    }
}
