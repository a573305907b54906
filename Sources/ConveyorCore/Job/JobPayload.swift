import Foundation

/// JobPayload is a JSON document exactly as it was sent: the bytes of the value, whatever the entry
/// point (the CLI's argument or standard input, the HTTP body's member). Keeping the source means a
/// worker receives the bytes that were enqueued — `1.50` stays `1.50`, `12345678901234567890123`
/// keeps every digit, duplicate names stay —, not a re-encoding of them. White space around the
/// value is not part of it. A job's payload is one; so are the result its worker completes it with
/// and the progress it reports, which go back to the customer the same way.
public struct JobPayload: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The JSON text.
    public let text: String

    /// Checks that `text` is one JSON document whose value is no larger than `limitBytes` UTF-8 bytes.
    public init(
        json text: String, limitBytes: Int = JobLimits.default.payloadBytes, field: String = "payload"
    ) throws(ValidationError) {
        try self.init(json: Array(text.utf8), limitBytes: limitBytes, field: field)
    }

    /// Checks that `bytes` are one JSON document (RFC 8259, strict, UTF-8) whose value is no larger
    /// than `limitBytes` bytes and nests at most `JSONSyntax.maxDepth` levels.
    /// `field` names the value in errors.
    public init(
        json bytes: [UInt8], limitBytes: Int = JobLimits.default.payloadBytes, field: String = "payload"
    ) throws(ValidationError) {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: bytes)
        } catch {
            if case .tooDeep = error.rule { throw Self.tooDeep(field: field) }
            let path = JSONPathComponent.field([.name(field)] + error.path)
            throw ValidationError(field: path, reason: "is not valid JSON: \(error.reason)")
        }
        self.init(checkedText: document.text(of: document.root))
        try checkSize(limitBytes: limitBytes, field: field)
    }

    /// Wraps text a store already validated when the job was enqueued.
    public init(storedText: String) { self.text = storedText }

    private init(checkedText: String) { self.text = checkedText }

    /// Refuses a payload over `limitBytes` as too large.
    public func checkSize(limitBytes: Int, field: String = "payload") throws(ValidationError) {
        let size = text.utf8.count
        guard size <= limitBytes else {
            throw ValidationError(
                field: field, reason: "is \(size) bytes; the limit is \(limitBytes) bytes", status: .tooLarge)
        }
    }

    static func tooDeep(field: String) -> ValidationError {
        ValidationError(
            field: field, reason: "nests more than \(JSONSyntax.maxDepth) levels of arrays and objects (the limit)")
    }

    /// The canonical spelling (`JSONDocument.canonical`), for telling requests apart by meaning.
    public var canonicalText: String {
        // The text was parsed when the payload was made, so it parses again.
        guard let document = try? JSONDocument(parsing: Array(text.utf8)) else { return text }
        return String(decoding: document.canonical(), as: UTF8.self)
    }

    public var description: String { text }

    /// Reads a payload member of a request body as its source bytes; only `RequestDecoder` can.
    public init(from decoder: any Decoder) throws {
        guard let node = decoder as? NodeDecoder else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a payload is read by RequestDecoder"))
        }
        guard node.node.height <= JSONSyntax.maxDepth else { throw Self.tooDeep(field: node.field) }
        self.init(checkedText: node.text)
    }

    /// Writes the payload's own bytes into the document; only `JSONEncoder.conveyor()` can.
    public func encode(to encoder: any Encoder) throws {
        guard let splice = encoder.userInfo[RawJSONSplice.key] as? RawJSONSplice else {
            throw EncodingError.invalidValue(
                self,
                .init(
                    codingPath: encoder.codingPath, debugDescription: "a payload is written by JSONEncoder.conveyor()"))
        }
        var container = encoder.singleValueContainer()
        try container.encode(splice.placeholder(for: text))
    }
}

extension KeyedDecodingContainer {
    /// A required payload member: `null` is a payload like any other JSON document, and only a
    /// missing member is refused — a misspelt one must not become a silent empty payload.
    public func decodePayload(forKey key: Key) throws -> JobPayload {
        guard contains(key) else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "\(key.stringValue) is required"))
        }
        return try decode(JobPayload.self, forKey: key)
    }
}
