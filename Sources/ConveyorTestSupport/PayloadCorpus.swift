import ConveyorCore

/// PayloadCorpus is the tricky JSON every entry point (the CLI, the single and the batch enqueue)
/// is tested with: documents that must come back byte for byte, and documents that must be
/// refused naming the rule.
public enum PayloadCorpus {
    /// Documents RFC 8259 allows, each kept exactly as written.
    public static let accepted: [[UInt8]] = [
        "12345678901234567890123",  // beyond Int64 and Double: every digit kept
        "1.50", "-0", "-0.0", "1E400", "1e-400", "0.30000000000000000000000000001",
        "123456789012345678901234567890.12345678901234567890e+12",
        #"{"a":1,"a":2}"#,  // duplicate names: legal, kept both
        #"{ "b" : 1 ,"a":[ 1 , 2 ] }"#,  // member order and spacing as sent
        "[\n\t1 ,\r\n 2 ]",
        #""\u00e9\ud83d\ude00\n\"\\\/\b\f\r\t""#,  // escapes and a surrogate pair
        #""\ud800 lone""#,  // a lone surrogate escape: legal JSON, kept as written
        "\"ünïcode 😀 \u{2028}\"",  // raw UTF-8, U+2028 unescaped
        "true", "false", "null", "0", #""text""#, #""""#, "{}", "[]",
        String(repeating: "[", count: JSONSyntax.maxDepth) + String(repeating: "]", count: JSONSyntax.maxDepth),
        String(repeating: #"{"k":"#, count: JSONSyntax.maxDepth) + "1"
            + String(repeating: "}", count: JSONSyntax.maxDepth),
    ].map { Array($0.utf8) }

    /// A refused document, and what its refusal names: the field (under `payload`) and a phrase of the rule.
    public struct Refused: Sendable, CustomStringConvertible {
        public let bytes: [UInt8]
        /// The field, relative to the payload: "" is the payload itself, ".s" its member s.
        public let field: String
        public let rule: String
        public var description: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Documents RFC 8259 forbids (or that pass Conveyor's limits), each refused.
    public static let refused: [Refused] = [
        .init(bytes: Array(#"{"a":[1,2,]}"#.utf8), field: ".a", rule: "trailing comma"),
        .init(bytes: Array(#"{"a":1,}"#.utf8), field: "", rule: "trailing comma"),
        .init(bytes: Array("[01]".utf8), field: "[0]", rule: "01 at byte"),
        .init(bytes: Array("[1.]".utf8), field: "[0]", rule: "is not a JSON number"),
        .init(bytes: Array(#"{"s":""#.utf8) + [0xFF] + Array(#""}"#.utf8), field: ".s", rule: "invalid UTF-8"),
        .init(bytes: Array(#"{"s":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8), field: ".s", rule: "invalid UTF-8"),
        .init(
            bytes: Array(#"{"s":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), field: ".s", rule: "invalid UTF-8"),
        .init(bytes: Array("[\"a\tb\"]".utf8), field: "[0]", rule: "control character U+0009"),
        .init(bytes: Array(#"["\x"]"#.utf8), field: "[0]", rule: #"the escape \x"#),
        .init(bytes: Array("{'a':1}".utf8), field: "", rule: "member name in double quotes"),
        .init(bytes: Array("NaN".utf8), field: "", rule: "where a value belongs"),
        .init(
            bytes: Array(
                (String(repeating: "[", count: JSONSyntax.maxDepth + 1)
                    + String(repeating: "]", count: JSONSyntax.maxDepth + 1)).utf8),
            field: "", rule: "nests more than 128 levels"),
        .init(
            bytes: Array((String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).utf8),
            field: "", rule: "nests more than 128 levels"),
    ]

    /// A UTF-8 byte-order mark before a document: refused wherever a document starts (the CLI's payload).
    public static let byteOrderMarked: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{}".utf8)
}
