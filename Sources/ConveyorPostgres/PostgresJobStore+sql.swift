import ConveyorCore
import PostgresNIO

extension PostgresJobStore {
    /// Runs raw SQL, for tests; outside the public API (`@_spi(Testing)`): a program depending on
    /// Conveyor goes through the store protocol, which keeps the lifecycle's rules.
    @_spi(Testing) public func execute(_ sql: String) async throws {
        let logger = self.logger
        _ = try await read { connection, _ in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect().count
        }
    }

    /// Runs raw SQL and returns the first column of every row as text (for tests, as `execute`).
    @_spi(Testing) public func scalarStrings(_ sql: String) async throws -> [String] {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect().map {
                try $0.decode(String.self)
            }
        }
    }
}
