public import Foundation

/// The one JSON dialect Conveyor speaks to people and programs: snake_case keys (declared on each
/// type), sorted keys for stable output, and times as RFC 3339 strings with milliseconds.
extension JSONEncoder {
    /// An encoder for Conveyor's public JSON.
    public static func conveyor(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
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
