public import ConveyorCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// TrustedProxies are the addresses (single addresses or CIDR ranges, IPv4 or IPv6) of the
/// reverse proxies in front of `conveyor serve`. Only a request that came from one of them may
/// name its client in `X-Forwarded-For`; anyone else could name any address and so dodge the
/// per-client limit.
public struct TrustedProxies: Sendable, Hashable {
    struct Range: Sendable, Hashable {
        let bytes: [UInt8]
        let prefixLength: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var remaining = prefixLength
            for (mine, theirs) in zip(bytes, address) where remaining > 0 {
                let bits = min(remaining, 8)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if mine & mask != theirs & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    let ranges: [Range]

    /// No proxy is trusted: the client is always the peer of the connection.
    public static let none = TrustedProxies(ranges: [])

    init(ranges: [Range]) { self.ranges = ranges }

    /// Parses a comma-separated list such as `10.0.0.0/8, 192.0.2.1, fd00::/8`.
    public init(parsing list: String, field: String = "TRUSTED_PROXIES") throws(ValidationError) {
        var ranges: [Range] = []
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = Self.bytes(of: parts[0]) else {
                throw ValidationError(
                    field: field, reason: "\(entry.debugDescription) is not an IP address or CIDR range")
            }
            let length = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let length, (0...bytes.count * 8).contains(length) else {
                throw ValidationError(field: field, reason: "\(entry.debugDescription) has a bad prefix length")
            }
            ranges.append(Range(bytes: bytes, prefixLength: length))
        }
        self.init(ranges: ranges)
    }

    /// Whether `address` is one of the trusted proxies.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(of: address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }

    /// The client a request stands for: the connection's peer, unless the peer is a trusted proxy
    /// — then the nearest address in `X-Forwarded-For` (read from the right, as each proxy appends
    /// the address it saw) that is not itself a trusted proxy.
    public func client(peer: String?, forwardedFor: [String]) -> String {
        guard let peer else { return "unknown" }
        guard contains(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() where !contains(hop) {
            // A hop that is not an address at all was made up by the client: stop there.
            return Self.bytes(of: hop) == nil ? peer : hop
        }
        return hops.first ?? peer
    }

    static func bytes(of address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
