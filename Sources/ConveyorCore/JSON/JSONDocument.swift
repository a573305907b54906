/// JSONDocument is bytes parsed under the one JSON grammar every Conveyor entry point shares:
/// RFC 8259 strict. What the RFC allows is accepted and kept as written — big and precise
/// numbers, any escape, duplicate object names —, what it forbids is refused with the rule and
/// the place (trailing commas, leading zeros, invalid UTF-8, raw control characters, a byte-order
/// mark). Foundation's parser is lenient and re-encodes; PostgreSQL's `jsonb` drops duplicates; so
/// Conveyor parses itself and keeps every value's span in the source, which is what it stores.
public struct JSONDocument: Sendable {
    /// The source bytes.
    public let bytes: [UInt8]
    /// The document's value (its span excludes the white space around it).
    public let root: JSONNode

    /// Parses exactly one JSON value, with white space around it allowed. `maxDepth` bounds the
    /// nesting of arrays and objects, so that a hostile document cannot exhaust the stack.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = JSONSyntax.maxDepth) throws(JSONSyntaxError) {
        var parser = JSONParser(bytes: Array(bytes), maxDepth: maxDepth)
        self.root = try parser.document()
        self.bytes = parser.bytes
    }

    /// The source text of `node`, exactly as written.
    public func text(of node: JSONNode) -> String {
        String(decoding: bytes[node.span], as: UTF8.self)
    }

    /// The value at `path` from the root (the first member of a name), or nil where there is none.
    public func value(at path: [JSONPathComponent]) -> JSONNode? {
        var node = root
        for step in path {
            switch (step, node.kind) {
            case (.name(let name), .object(let members)):
                guard let member = members.first(where: { $0.name == name }) else { return nil }
                node = member.value
            case (.index(let index), .array(let elements)) where elements.indices.contains(index):
                node = elements[index]
            default:
                return nil
            }
        }
        return node
    }
}

/// JSONSyntax holds the grammar's shared limits.
public enum JSONSyntax {
    /// The deepest nesting of arrays and objects a payload may have.
    public static let maxDepth = 128
}

/// JSONNode is one value in a parsed document: its kind and where it lies in the source.
public struct JSONNode: Sendable {
    /// The kinds of JSON value; scalars are read from their span when asked for.
    public enum Kind: Sendable {
        case null
        case bool(Bool)
        case number
        /// A string; `span` includes the quotes.
        case string
        case array([JSONNode])
        /// An object's members in the order written, duplicates included.
        case object([JSONMember])
    }

    public let kind: Kind
    /// The bytes of the value in the source.
    public let span: Range<Int>
    /// How many levels of arrays and objects the value nests: 0 for a scalar, 1 for `[1]`.
    public let height: Int
}

/// JSONMember is one `"name": value` of an object.
public struct JSONMember: Sendable {
    /// The name, unescaped.
    public let name: String
    /// The name's span in the source, quotes included.
    public let nameSpan: Range<Int>
    public let value: JSONNode
}

/// JSONSyntaxError says where a document breaks the grammar and which rule it breaks.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Rule: Sendable, Hashable {
        case byteOrderMark
        case unexpectedEnd
        case unexpected(String)
        case trailingComma
        case invalidUTF8(UInt8)
        case controlCharacter(UInt8)
        case invalidEscape(String)
        case invalidNumber(String)
        case tooDeep(limit: Int)
        case trailingContent
    }

    /// Where in the document: member names and array indices from the root.
    public let path: [JSONPathComponent]
    /// The byte offset in the source.
    public let offset: Int
    public let rule: Rule

    /// The path as a user writes it: `jobs[0].payload.s`; empty at the root.
    public var field: String { JSONPathComponent.field(path) }

    /// The rule broken, phrased to follow "is not valid JSON:".
    public var reason: String {
        switch rule {
        case .byteOrderMark: "it starts with a byte-order mark (U+FEFF); send JSON without one"
        case .unexpectedEnd: "it ends before the value is complete"
        case .unexpected(let what): "\(what) at byte \(offset)"
        case .trailingComma: "a trailing comma at byte \(offset) (RFC 8259 allows none)"
        case .invalidUTF8(let byte): "a string holds invalid UTF-8 (byte 0x\(hex(byte)) at byte \(offset))"
        case .controlCharacter(let byte):
            "a string holds the control character U+00\(hex(byte)) unescaped at byte \(offset); write it as \\u00\(hex(byte))"
        case .invalidEscape(let escape): "the escape \(escape) at byte \(offset) is not one JSON has"
        case .invalidNumber(let text): "\(text) at byte \(offset) is not a JSON number"
        case .tooDeep(let limit): "it nests more than \(limit) levels of arrays and objects (the limit)"
        case .trailingContent: "more follows the value at byte \(offset)"
        }
    }

    public var description: String {
        "\(field.isEmpty ? "the document" : field) is not valid JSON: \(reason)"
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }
}

/// JSONPathComponent is one step from a document's root: a member name or an array index.
public enum JSONPathComponent: Sendable, Hashable {
    case name(String)
    case index(Int)

    /// A path as a user writes it: `jobs[0].payload`.
    public static func field(_ path: some Sequence<JSONPathComponent>) -> String {
        var text = ""
        for component in path {
            switch component {
            case .name(let name): text += text.isEmpty ? name : "." + name
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}

/// JSONParser is a recursive-descent parser over the bytes; the recursion is bounded by `maxDepth`.
private struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0
    var path: [JSONPathComponent] = []

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func document() throws(JSONSyntaxError) -> JSONNode {
        // RFC 8259 §8.1 lets a parser ignore a byte-order mark; Conveyor refuses it instead, so
        // that what it accepts is always what it keeps (a BOM is not part of the value).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { throw failure(.byteOrderMark) }
        skipWhitespace()
        let root = try value(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw failure(.trailingContent) }
        return root
    }

    func failure(_ rule: JSONSyntaxError.Rule) -> JSONSyntaxError {
        JSONSyntaxError(path: path, offset: index, rule: rule)
    }

    /// What stands at the current byte, for an error message.
    func unexpected(_ expected: String) -> JSONSyntaxError {
        guard let byte = current else { return failure(.unexpectedEnd) }
        if byte >= 0x80 {
            if sequenceLength(at: index) == nil { return failure(.invalidUTF8(byte)) }
            return failure(.unexpected("a character outside a string where \(expected) belongs"))
        }
        let shown =
            (0x21...0x7E).contains(byte) ? "`\(Character(Unicode.Scalar(byte)))`" : "white space or a control byte"
        return failure(.unexpected("\(shown) where \(expected) belongs"))
    }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard current == byte else { return false }
        index += 1
        return true
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        let start = index
        guard let byte = current else { throw failure(.unexpectedEnd) }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""):
            try string()
            return JSONNode(kind: .string, span: start..<index, height: 0)
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number()
            return JSONNode(kind: .number, span: start..<index, height: 0)
        default: throw unexpected("a value")
        }
    }

    mutating func literal(_ word: String, _ kind: JSONNode.Kind) throws(JSONSyntaxError) -> JSONNode {
        let start = index
        for byte in word.utf8 where !consume(byte) { throw unexpected("`\(word)`") }
        return JSONNode(kind: kind, span: start..<index, height: 0)
    }

    mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        guard depth <= maxDepth else { throw failure(.tooDeep(limit: maxDepth)) }
        let start = index
        index += 1
        var members: [JSONMember] = []
        var height = 1
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return JSONNode(kind: .object([]), span: start..<index, height: 1) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else {
                throw current == UInt8(ascii: "}") && !members.isEmpty
                    ? failure(.trailingComma) : unexpected("a member name in double quotes")
            }
            let nameStart = index
            try string()
            let nameSpan = nameStart..<index
            let name = JSONStrings.decode(bytes[nameSpan]).text
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw unexpected("`:`") }
            skipWhitespace()
            path.append(.name(name))
            let member = try value(depth: depth)
            path.removeLast()
            height = max(height, member.height + 1)
            members.append(JSONMember(name: name, nameSpan: nameSpan, value: member))
            skipWhitespace()
            if consume(UInt8(ascii: "}")) {
                return JSONNode(kind: .object(members), span: start..<index, height: height)
            }
            guard consume(UInt8(ascii: ",")) else { throw unexpected("`,` or `}`") }
        }
    }

    mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        guard depth <= maxDepth else { throw failure(.tooDeep(limit: maxDepth)) }
        let start = index
        index += 1
        var elements: [JSONNode] = []
        var height = 1
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return JSONNode(kind: .array([]), span: start..<index, height: 1) }
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "]") { throw failure(.trailingComma) }
            path.append(.index(elements.count))
            let element = try value(depth: depth)
            path.removeLast()
            height = max(height, element.height + 1)
            elements.append(element)
            skipWhitespace()
            if consume(UInt8(ascii: "]")) {
                return JSONNode(kind: .array(elements), span: start..<index, height: height)
            }
            guard consume(UInt8(ascii: ",")) else { throw unexpected("`,` or `]`") }
        }
    }

    /// Checks one string, quotes included: escapes as RFC 8259 lists them, no raw control
    /// character, and UTF-8 that is well formed (no overlong form, no encoded surrogate).
    mutating func string() throws(JSONSyntaxError) {
        index += 1
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                let escapeStart = index
                index += 1
                guard let escape = current else { throw failure(.unexpectedEnd) }
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    for _ in 0..<4 {
                        guard let digit = current, JSONStrings.hexValue(digit) != nil else {
                            index = escapeStart
                            throw failure(.invalidEscape(shown(escapeStart, 6)))
                        }
                        index += 1
                    }
                default:
                    index = escapeStart
                    throw failure(.invalidEscape(shown(escapeStart, 2)))
                }
            case 0x00..<0x20: throw failure(.controlCharacter(byte))
            case 0x80...:
                guard let length = sequenceLength(at: index) else { throw failure(.invalidUTF8(byte)) }
                index += length
            default: index += 1
            }
        }
        throw failure(.unexpectedEnd)
    }

    func shown(_ start: Int, _ count: Int) -> String {
        String(decoding: bytes[start..<min(bytes.count, start + count)], as: UTF8.self)
    }

    mutating func number() throws(JSONSyntaxError) {
        let start = index
        func invalid(_ parser: inout JSONParser) -> JSONSyntaxError {
            while let byte = parser.current, byte.isNumberByte { parser.index += 1 }
            let text = String(decoding: parser.bytes[start..<parser.index], as: UTF8.self)
            parser.index = start
            return parser.failure(.invalidNumber(text))
        }
        _ = consume(UInt8(ascii: "-"))
        if consume(UInt8(ascii: "0")) {
            // A leading zero stands alone: "01" is not a number.
            if let byte = current, byte.isDigit { throw invalid(&self) }
        } else if !digits() {
            throw invalid(&self)
        }
        if consume(UInt8(ascii: ".")), !digits() { throw invalid(&self) }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard digits() else { throw invalid(&self) }
        }
        if let byte = current, byte.isNumberByte { throw invalid(&self) }
    }

    mutating func digits() -> Bool {
        let start = index
        while let byte = current, byte.isDigit { index += 1 }
        return index > start
    }

    /// The length of the well-formed UTF-8 sequence at `start` (RFC 3629 table), or nil.
    func sequenceLength(at start: Int) -> Int? {
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            start + offset < bytes.count && range.contains(bytes[start + offset])
        }
        switch bytes[start] {
        case 0xC2...0xDF: return continuation(1) ? 2 : nil
        case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : nil
        case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : nil
        case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : nil
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : nil
        case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : nil
        default: return nil
        }
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
    /// A byte that would continue a malformed number (`1.2.3`, `1e5e`, `-a`), shown in its error.
    fileprivate var isNumberByte: Bool {
        isDigit || self == UInt8(ascii: ".") || self == UInt8(ascii: "e") || self == UInt8(ascii: "E")
            || self == UInt8(ascii: "+") || self == UInt8(ascii: "-")
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
    }
}
