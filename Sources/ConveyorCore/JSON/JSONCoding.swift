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
            try container.encode(date.rfc3339Milliseconds)
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
    /// The time as RFC 3339 in UTC with milliseconds (`2026-12-06T08:45:17.123Z`), the millisecond
    /// the stores keep (`unixMilliseconds`) — computed directly: `ISO8601FormatStyle` cost more
    /// than the rest of a job's JSON (every job answer carries several times), and wrote some
    /// milliseconds as the one before.
    public var rfc3339Milliseconds: String {
        // The millisecond a store keeps; days and the time of day by floor division.
        let milliseconds = unixMilliseconds
        var days = milliseconds / 86_400_000
        var rest = milliseconds % 86_400_000
        if rest < 0 {
            rest += 86_400_000
            days -= 1
        }
        let date = CivilCalendar.day(fromDayNumber: Int(days))
        let (year, month, day) = (Int64(date.year), Int64(date.month), Int64(date.day))
        guard (0...9999).contains(year) else {
            return formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int64, at index: Int, digits: Int) {
            var value = value
            for offset in (0..<digits).reversed() {
                bytes[index + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, at: 0, digits: 4)
        bytes[4] = UInt8(ascii: "-")
        put(month, at: 5, digits: 2)
        bytes[7] = UInt8(ascii: "-")
        put(day, at: 8, digits: 2)
        bytes[10] = UInt8(ascii: "T")
        put(rest / 3_600_000, at: 11, digits: 2)
        bytes[13] = UInt8(ascii: ":")
        put(rest / 60_000 % 60, at: 14, digits: 2)
        bytes[16] = UInt8(ascii: ":")
        put(rest / 1000 % 60, at: 17, digits: 2)
        bytes[19] = UInt8(ascii: ".")
        put(rest % 1000, at: 20, digits: 3)
        bytes[23] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

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
    /// A byte scan over the document's buffer: `Data.firstRange(of:)`, the generic search, was
    /// half of what writing a job's answer cost.
    func replacingPlaceholders(in data: Data) -> Data {
        guard !texts.isEmpty else { return data }
        let prefix = Array("\"conveyor-payload-\(nonce)-".utf8)
        return data.withUnsafeBytes { (document: UnsafeRawBufferPointer) -> Data in
            var output = [UInt8]()
            output.reserveCapacity(document.count + texts.reduce(0) { $0 + $1.utf8.count })
            var copied = 0
            var at = 0
            // A placeholder starts with a quote; only a quote followed by the whole prefix is one.
            while at + prefix.count <= document.count {
                guard document[at] == prefix[0],
                    prefix.indices.allSatisfy({ document[at + $0] == prefix[$0] })
                else {
                    at += 1
                    continue
                }
                output.append(contentsOf: document[copied..<at])
                var end = at + prefix.count
                var index = 0
                while end < document.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(document[end]) {
                    index = index * 10 + Int(document[end] - UInt8(ascii: "0"))
                    end += 1
                }
                output.append(contentsOf: texts[index].utf8)
                at = end + 1  // past the closing quote
                copied = at
            }
            output.append(contentsOf: document[copied...])
            return Data(output)
        }
    }
}
