import Foundation

/// JSONValue is any JSON document, used to show a stored payload inside another JSON document
/// (a job as the CLI or the API prints it) without re-encoding it as a string.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// `value` as a reading: a whole number when it is one, else rounded to three decimals.
    public static func reading(_ value: Double) -> JSONValue {
        value.rounded() == value && abs(value) < 1e15
            ? .integer(Int64(value)) : .number((value * 1000).rounded() / 1000)
    }

    /// `value` for people, as `reading` gives it: `3`, `0.25`.
    public static func text(of value: Double) -> String {
        switch reading(value) {
        case .integer(let whole): String(whole)
        case .number(let fraction): String(fraction)
        default: String(value)
        }
    }
}
