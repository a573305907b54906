/// DatabaseLocation is where a `conveyor` process keeps its jobs, decided once at start-up from
/// `--database`, then `DATABASE_URL`, then the default `./conveyor.sqlite`.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    /// An SQLite file (the embedded default).
    case sqlite(path: String)
    /// A PostgreSQL server (`postgres://` or `postgresql://`).
    case postgres(url: String)

    /// The file used when nothing is configured.
    public static let defaultPath = "./conveyor.sqlite"

    /// Resolves the configured location. `sqlite://PATH` and `file:PATH` name a file explicitly;
    /// any other text without a scheme is a file path.
    public init(option: String?, settings: Settings) throws(ValidationError) {
        let (value, field): (String?, String) =
            if let option { (option, "--database") } else { (settings.text("DATABASE_URL"), "DATABASE_URL") }
        guard let value else {
            self = .sqlite(path: DatabaseLocation.defaultPath)
            return
        }
        guard !value.isEmpty else {
            throw ValidationError(field: field, reason: "is empty; give a file path or a postgres:// URL")
        }
        let lowered = value.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(url: value)
        } else if lowered.hasPrefix("sqlite://") {
            self = .sqlite(path: String(value.dropFirst("sqlite://".count)))
        } else if lowered.hasPrefix("file:") {
            self = .sqlite(path: String(value.dropFirst("file:".count)))
        } else if let scheme = value.range(of: "://") {
            throw ValidationError(
                field: field,
                reason:
                    "uses the unsupported scheme \(value[..<scheme.lowerBound])://; give a file path or a postgres:// URL"
            )
        } else {
            self = .sqlite(path: value)
        }
    }

    /// The location with any password hidden, for logs and messages.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): DatabaseLocation.redacted(url)
        }
    }

    /// The URL with the password of its user-info part, if any, replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let authorityEnd = url[scheme.upperBound...].firstIndex(of: "/") ?? url.endIndex
        let authority = url[scheme.upperBound..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
            return url
        }
        return String(url[..<url.index(after: colon)]) + "***" + String(url[at...])
    }
}
