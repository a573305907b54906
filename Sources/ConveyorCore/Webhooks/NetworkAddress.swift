import Foundation

/// NetworkAddress is an IPv4 or IPv6 address, and what kind of network it belongs to — enough to
/// refuse the ones outbound requests must not reach (`WebhookURLPolicy`).
public struct NetworkAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    public let bytes: [UInt8]

    /// Reads `1.2.3.4`, `::1` or `[::1]`; nil for anything else (a host name).
    public init?(_ text: String) {
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    /// An address of these bytes (4 or 16 of them).
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// What kind of non-public address this is ("loopback", "private", "link-local, where cloud
    /// metadata services answer", …); nil for a public address.
    public var nonPublicKind: String? {
        bytes.count == 4 ? Self.kind(v4: bytes) : Self.kind(v6: bytes)
    }

    static func kind(v4 b: [UInt8]) -> String? {
        switch (b[0], b[1]) {
        case (0, _): "this network"
        case (10, _): "private"
        case (100, 64...127): "shared (carrier-grade NAT)"
        case (127, _): "loopback"
        case (169, 254): "link-local, where cloud metadata services answer"
        case (172, 16...31): "private"
        case (192, 0) where b[2] == 0 || b[2] == 2: "reserved"
        case (192, 168): "private"
        case (198, 18...19): "reserved for benchmarks"
        case (198, 51) where b[2] == 100: "reserved for documentation"
        case (203, 0) where b[2] == 113: "reserved for documentation"
        case (224...239, _): "multicast"
        case (240...255, _): "reserved"
        default: nil
        }
    }

    static func kind(v6 b: [UInt8]) -> String? {
        let zeroPrefix = b[0..<10].allSatisfy { $0 == 0 }
        if zeroPrefix, b[10] == 0xff, b[11] == 0xff { return kind(v4: Array(b[12...])) }  // ::ffff:a.b.c.d
        if b[0..<15].allSatisfy({ $0 == 0 }) { return b[15] == 1 ? "loopback" : "unspecified" }
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address that is what they reach.
        if b[0..<12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] { return kind(v4: Array(b[12...])) }
        if b[0] == 0x20, b[1] == 0x02 { return kind(v4: Array(b[2..<6])) }
        if b[0] & 0xfe == 0xfc { return "private (unique local)" }
        if b[0] == 0xfe, b[1] & 0xc0 == 0x80 { return "link-local" }
        if b[0] == 0xff { return "multicast" }
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0d, b[3] == 0xb8 { return "reserved for documentation" }
        if zeroPrefix { return "reserved" }  // ::/80 but the mapped form: IPv4-compatible, long deprecated
        return nil
    }
}
