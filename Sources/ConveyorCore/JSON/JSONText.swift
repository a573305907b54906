/// JSONText writes a JSON document by hand, members in the order given, for the few answers sent
/// so often that Foundation's encoder is most of their cost (a job event goes to every stream that
/// follows it). Each use is checked in a test against the type's `Encodable` form, which stays the
/// definition of the wire format.
public struct JSONText: Sendable {
    public private(set) var text = "{"
    private var first = true

    public init() {}

    /// A member whose value is a string.
    public mutating func string(_ key: String, _ value: String) {
        self.key(key)
        Self.quote(value, into: &text)
    }

    /// A member whose value is an integer.
    public mutating func integer(_ key: String, _ value: Int) {
        self.key(key)
        text += String(value)
    }

    /// A member whose value is JSON text already (a payload, a result), written as it is.
    public mutating func raw(_ key: String, _ json: String) {
        self.key(key)
        text += json
    }

    /// The document, closed.
    public var closed: String { text + "}" }

    private mutating func key(_ key: String) {
        if !first { text += "," }
        first = false
        Self.quote(key, into: &text)
        text += ":"
    }

    /// A JSON string of `value`, as Foundation's encoder writes it without escaping slashes: `"`
    /// and `\` escaped, the control characters as their short escape or `\u00XX`.
    static func quote(_ value: String, into text: inout String) {
        text += "\""
        var plain = true
        for unit in value.utf8 where unit < 0x20 || unit == UInt8(ascii: "\"") || unit == UInt8(ascii: "\\") {
            plain = false
            break
        }
        guard !plain else {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
