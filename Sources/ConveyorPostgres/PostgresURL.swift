import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresURL turns `postgres://user:password@host:port/database?sslmode=…` into a client
/// configuration. `sslmode` is `disable`, `prefer` (the default) or `require`.
enum PostgresURL {
    static func configuration(_ url: String) throws(ValidationError) -> PostgresClient.Configuration {
        let redacted = DatabaseLocation.postgres(url: url).description
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw ValidationError(field: "DATABASE_URL", reason: "is not a valid PostgreSQL URL (\(redacted))")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let tls: PostgresClient.Configuration.TLS
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case let other:
            throw ValidationError(field: "DATABASE_URL", reason: "has an unknown sslmode \(other) (\(redacted))")
        }
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user?.removingPercentEncoding ?? "postgres",
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database,
            tls: tls)
    }
}
