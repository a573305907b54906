import Foundation

/// JobPayload is the job's JSON document exactly as the producer sent it. Keeping the original text
/// means a worker receives the bytes that were enqueued, not a re-encoding of them.
public struct JobPayload: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The JSON text.
    public let text: String

    /// Checks that `text` is one JSON document no larger than `limitBytes` UTF-8 bytes.
    public init(json text: String, limitBytes: Int = JobLimits.default.payloadBytes) throws(ValidationError) {
        let size = text.utf8.count
        guard size <= limitBytes else {
            throw ValidationError(
                field: "payload", reason: "is \(size) bytes; the limit is \(limitBytes) bytes", status: .tooLarge)
        }
        guard JSONSyntax.isValid(text.utf8) else {
            throw ValidationError(field: "payload", reason: "is not valid JSON")
        }
        self.text = text
    }

    /// Wraps text a store already validated when the job was enqueued.
    public init(storedText: String) { self.text = storedText }

    /// The payload as a JSON value, for embedding in a larger document.
    public var value: JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
    }

    public var description: String { text }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(JSONValue.self)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
