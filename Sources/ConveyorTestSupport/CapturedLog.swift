public import Logging
import Synchronization

/// CapturedLog keeps every line logged through its handler, so a test can count what a component
/// said (a switch logged once, say).
public final class CapturedLog: Sendable {
    private let lines = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])

    public init() {}

    public var logger: Logger {
        Logger(label: "captured") { _ in Handler(log: self) }
    }

    /// Lines at `level` or above whose message contains `text`.
    public func count(_ text: String, atLeast level: Logger.Level = .trace) -> Int {
        lines.withLock { $0.filter { $0.0 >= level && $0.1.contains(text) }.count }
    }

    /// The messages logged at `level` or above, each with its metadata.
    public func lines(atLeast level: Logger.Level) -> [String] {
        lines.withLock { $0.filter { $0.0 >= level }.map { "\($0.0) \($0.1) \($0.2)" } }
    }

    /// The metadata of each line whose message is `text`, the logger's and the line's own merged.
    public func metadata(of text: String) -> [Logger.Metadata] {
        lines.withLock { $0.filter { $0.1 == text }.map(\.2) }
    }

    fileprivate func append(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) {
        lines.withLock { $0.append((level, message, metadata)) }
    }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.append(event.level, "\(event.message)", metadata.merging(event.metadata ?? [:]) { $1 })
        }
    }
}
