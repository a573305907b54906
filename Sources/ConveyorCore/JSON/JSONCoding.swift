public import Foundation

/// The one JSON dialect Conveyor speaks to people and programs: snake_case keys (declared on each
/// type), sorted keys for stable output, times as RFC 3339 strings with milliseconds, and job
/// payloads written as their own bytes.
extension JSONEncoder {
    /// An encoder for Conveyor's public JSON.
    public static func conveyor(pretty: Bool = false) -> JSONEncoder {
        let encoder = PayloadSplicingEncoder()
        encoder.outputFormatting =
            pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return encoder
    }
}

extension JSONDecoder {
    /// A decoder for Conveyor's public JSON.
    public static func conveyor() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Date(rfc3339: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
            }
            return date.truncatedToMilliseconds
        }
        return decoder
    }
}

extension Date {
    /// Parses an RFC 3339 time, with or without fractional seconds; nil when it is not one.
    public init?(rfc3339 text: String) {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        guard let date = (try? style.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text)) else { return nil }
        self = date
    }
}

/// PayloadSplicingEncoder writes each `JobPayload` in a document as the payload's own bytes. One
/// is made per use (`JSONEncoder.conveyor()`): an encode sets and clears its `userInfo`.
/// Foundation's encoder cannot embed raw JSON, so a payload first encodes as a placeholder string
/// unique to this call (it holds a random nonce), which is then replaced by the payload's text.
private final class PayloadSplicingEncoder: JSONEncoder, @unchecked Sendable {
    override func encode<T: Encodable>(_ value: T) throws -> Data {
        let splice = RawJSONSplice()
        userInfo[RawJSONSplice.key] = splice
        defer { userInfo[RawJSONSplice.key] = nil }
        return splice.replacingPlaceholders(in: try super.encode(value))
    }
}

/// RawJSONSplice collects the texts a document embeds raw, one placeholder each.
final class RawJSONSplice: @unchecked Sendable {
    // Only touched by the one synchronous encode that made it.
    static let key = CodingUserInfoKey(rawValue: "conveyor.rawJSONSplice")!
    private let nonce = UUID().uuidString
    private var texts: [String] = []

    func placeholder(for text: String) -> String {
        texts.append(text)
        return "conveyor-payload-\(nonce)-\(texts.count - 1)"
    }

    /// The document with each placeholder (found in any order: sorted keys move them) replaced.
    func replacingPlaceholders(in data: Data) -> Data {
        guard !texts.isEmpty else { return data }
        let prefix = Data("\"conveyor-payload-\(nonce)-".utf8)
        var output = Data()
        output.reserveCapacity(data.count + texts.reduce(0) { $0 + $1.utf8.count })
        var rest = data[...]
        while let found = rest.firstRange(of: prefix) {
            output.append(rest[..<found.lowerBound])
            var end = found.upperBound
            var index = 0
            while end < rest.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(rest[end]) {
                index = index * 10 + Int(rest[end] - UInt8(ascii: "0"))
                end += 1
            }
            output.append(contentsOf: texts[index].utf8)
            rest = rest[(end + 1)...]  // past the closing quote
        }
        output.append(rest)
        return output
    }
}
