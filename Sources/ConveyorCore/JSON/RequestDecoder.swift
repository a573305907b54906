import Foundation

/// RequestDecoder turns a request body into a `Decodable` value under Conveyor's JSON grammar
/// (`JSONDocument`), and is strict where Foundation's decoder is lenient: a member the type does
/// not read is refused (a misspelt `priorty` must not pass as priority 0), a member given twice is
/// refused, a whole number must be whole, and every refusal is a `ValidationError` naming the
/// member by its path (`jobs[3].priority`). A `JobPayload` inside the body keeps its bytes.
public struct RequestDecoder: Sendable {
    /// The nesting a body may have beyond its payload's own limit (a batch's payloads start three
    /// levels down: `{"jobs": [{"payload": …`).
    public static let bodyDepth = 3

    public init() {}

    /// Decodes `bytes` as a `T`.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: bytes, maxDepth: JSONSyntax.maxDepth + Self.bodyDepth)
        } catch {
            // A payload nested past its limit is refused as too deep, naming the payload, however
            // deep in the body it starts.
            if case .tooDeep = error.rule, let payload = error.path.firstIndex(of: .name("payload")) {
                throw JobPayload.tooDeep(field: JSONPathComponent.field(error.path[...payload]))
            }
            throw error
        }
        let reading = BodyReading(document: document)
        let value = try T(from: NodeDecoder(reading: reading, node: document.root, codingPath: []))
        try reading.refuseUnreadMembers()
        return value
    }
}

/// BodyReading is the state one decode shares: the document, and which members of each object
/// the type asked for, so that the rest can be refused once decoding is done.
final class BodyReading: @unchecked Sendable {
    // Only touched by the one synchronous decode that made it.
    let document: JSONDocument
    private var objects: [(path: [any CodingKey], members: [JSONMember], asked: Set<String>)] = []
    /// Each object's entry by where it starts, so that a type opening one object twice shares it.
    private var opened: [Int: Int] = [:]

    init(document: JSONDocument) { self.document = document }

    func open(_ node: JSONNode, _ members: [JSONMember], at path: [any CodingKey]) throws -> Int {
        if let known = opened[node.span.lowerBound] { return known }
        var seen = Set<String>()
        for member in members where !seen.insert(member.name).inserted {
            throw ValidationError(field: field(path, member.name), reason: "is given twice; give it once")
        }
        objects.append((path, members, []))
        opened[node.span.lowerBound] = objects.count - 1
        return objects.count - 1
    }

    func ask(_ object: Int, _ name: String) { objects[object].asked.insert(name) }

    func askAll(_ object: Int) { objects[object].asked = Set(objects[object].members.map(\.name)) }

    func refuseUnreadMembers() throws {
        for object in objects {
            guard let unknown = object.members.first(where: { !object.asked.contains($0.name) }) else { continue }
            let known = object.asked.sorted().joined(separator: ", ")
            throw ValidationError(
                field: field(object.path, unknown.name),
                reason: "is not a member of this request" + (known.isEmpty ? "" : " (its members: \(known))"))
        }
    }

    func field(_ path: [any CodingKey], _ last: String? = nil) -> String {
        let components = path.map { key in key.intValue.map(JSONPathComponent.index) ?? .name(key.stringValue) }
        return JSONPathComponent.field(components + (last.map { [.name($0)] } ?? []))
    }
}

/// NodeDecoder decodes one node of the document.
struct NodeDecoder: Decoder {
    let reading: BodyReading
    let node: JSONNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var field: String { reading.field(codingPath) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = node.kind else { throw mismatch("an object") }
        let object = try reading.open(node, members, at: codingPath)
        return KeyedDecodingContainer(ObjectContainer<Key>(decoder: self, members: members, object: object))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = node.kind else { throw mismatch("an array") }
        return ArrayContainer(decoder: self, elements: elements)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { ValueContainer(decoder: self) }

    func child(_ node: JSONNode, _ key: any CodingKey) -> NodeDecoder {
        NodeDecoder(reading: reading, node: node, codingPath: codingPath + [key])
    }

    /// The error for a value of the wrong kind.
    func mismatch(_ expected: String) -> any Error {
        if codingPath.isEmpty {
            // The HTTP layer words a body of the wrong kind as a whole ("the body must be a JSON object").
            return DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "must be \(expected)"))
        }
        let got =
            switch node.kind {
            case .null: "null"
            case .bool: "true or false"
            case .number: "a number"
            case .string: "a string"
            case .array: "an array"
            case .object: "an object"
            }
        return ValidationError(field: field, reason: "must be \(expected), not \(got)")
    }

    /// The node's source text.
    var text: String { reading.document.text(of: node) }

    func decodeString() throws -> String {
        guard case .string = node.kind else { throw mismatch("a string") }
        let decoded = JSONStrings.decode(reading.document.bytes[node.span])
        guard decoded.wellFormed else {
            throw ValidationError(field: field, reason: "holds a lone surrogate escape, which is not a character")
        }
        return decoded.text
    }

    func decodeInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .number = node.kind else { throw mismatch("a whole number") }
        if let value = T(text) { return value }
        // `1e2` and `3.0` are whole numbers written otherwise; `1.5` is not.
        if let double = Double(text), double.rounded() == double, double.magnitude < 0x1p53,
            let value = T(exactly: double)
        {
            return value
        }
        let whole = Double(text).map { $0.rounded() == $0 } ?? false
        throw ValidationError(
            field: field, reason: whole ? "is out of range (got \(text))" : "must be a whole number (got \(text))")
    }

    func decodeDouble() throws -> Double {
        guard case .number = node.kind else { throw mismatch("a number") }
        guard let value = Double(text), value.isFinite else {
            throw ValidationError(field: field, reason: "is out of range (got \(text))")
        }
        return value
    }

    func decodeDate() throws -> Date {
        let text = try decodeString()
        guard let date = Date(rfc3339: text) else {
            throw ValidationError(
                field: field, reason: "must be an RFC 3339 time such as 2030-01-01T09:00:00Z (got \(text))")
        }
        return date.truncatedToMilliseconds
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is Date.Type: return try decodeDate() as! T
        case is String.Type: return try decodeString() as! T
        case is Double.Type: return try decodeDouble() as! T
        case is Float.Type: return Float(try decodeDouble()) as! T
        case let integer as any FixedWidthInteger.Type: return try decodeInteger(integer) as! T
        case is Bool.Type:
            guard case .bool(let value) = node.kind else { throw mismatch("true or false") }
            return value as! T
        default: return try T(from: self)
        }
    }
}

private struct ObjectContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let members: [JSONMember]
    let object: Int

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] {
        decoder.reading.askAll(object)
        return members.compactMap { Key(stringValue: $0.name) }
    }

    func member(_ key: Key) -> JSONNode? {
        decoder.reading.ask(object, key.stringValue)
        return members.first { $0.name == key.stringValue }?.value
    }

    func required(_ key: Key) throws -> NodeDecoder {
        guard let node = member(key) else {
            throw ValidationError(field: decoder.reading.field(codingPath, key.stringValue), reason: "is required")
        }
        return decoder.child(node, key)
    }

    func contains(_ key: Key) -> Bool { member(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let node = member(key) else { return true }
        if case .null = node.kind { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let child = try required(key)
        if case .null = child.node.kind, !(T.self is JobPayload.Type) {
            throw ValidationError(field: child.field, reason: "must not be null")
        }
        return try child.decode(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let node = member(key) else { return nil }
        if case .null = node.kind { return nil }
        return try decoder.child(node, key).decode(type)
    }

    // The primitive requirements, each the generic decode.
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try required(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try required(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try required(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try required(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try required(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try required(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try required(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try required(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try required(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try required(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try required(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try required(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try required(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try required(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try required(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try required(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { try required(key) }
}

private struct ArrayContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let elements: [JSONNode]
    var currentIndex = 0

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next() throws -> NodeDecoder {
        guard !isAtEnd else { throw ValidationError(field: decoder.field, reason: "has too few elements") }
        defer { currentIndex += 1 }
        return decoder.child(elements[currentIndex], IndexKey(intValue: currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = elements[currentIndex].kind else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try decode(type, generic: ()) }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try decode(type as Bool.Type, generic: ()) }
    mutating func decode(_ type: String.Type) throws -> String { try decode(type as String.Type, generic: ()) }
    mutating func decode(_ type: Double.Type) throws -> Double { try decode(type as Double.Type, generic: ()) }
    mutating func decode(_ type: Float.Type) throws -> Float { try decode(type as Float.Type, generic: ()) }
    mutating func decode(_ type: Int.Type) throws -> Int { try decode(type as Int.Type, generic: ()) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try decode(type as Int8.Type, generic: ()) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try decode(type as Int16.Type, generic: ()) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try decode(type as Int32.Type, generic: ()) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try decode(type as Int64.Type, generic: ()) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try decode(type as UInt.Type, generic: ()) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(type as UInt8.Type, generic: ()) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(type as UInt16.Type, generic: ()) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(type as UInt32.Type, generic: ()) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(type as UInt64.Type, generic: ()) }

    private mutating func decode<T: Decodable>(_ type: T.Type, generic: Void) throws -> T {
        let element = try next()
        if case .null = element.node.kind { throw ValidationError(field: element.field, reason: "must not be null") }
        return try element.decode(type)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct ValueContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool {
        if case .null = decoder.node.kind { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decode(type) }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.decode(type) }
    func decode(_ type: String.Type) throws -> String { try decoder.decode(type) }
    func decode(_ type: Double.Type) throws -> Double { try decoder.decode(type) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.decode(type) }
    func decode(_ type: Int.Type) throws -> Int { try decoder.decode(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.decode(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.decode(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.decode(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.decode(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.decode(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.decode(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.decode(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.decode(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.decode(type) }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}
