import Crypto
import Foundation

/// LeaseTokens hands out fresh lease tokens — version-4 UUIDs, 122 random bits from a
/// cryptographic generator, so that a zombie worker cannot guess the current one — drawing the random bytes of a whole claim's tokens
/// in one call: a `UUID()` each was a seventh of an SQLite claim's time.
public struct LeaseTokens: Sendable {
    private var bytes: [UInt8]
    private var used = 0

    /// Ready with random bytes for `count` tokens; more are drawn if more are taken.
    public init(count: Int) {
        bytes = Self.random(max(1, count) * 16)
    }

    /// The next token.
    public mutating func take() -> String {
        if used + 16 > bytes.count {
            bytes = Self.random(bytes.count)
            used = 0
        }
        var b = Array(bytes[used..<(used + 16)])
        used += 16
        b[6] = (b[6] & 0x0F) | 0x40  // version 4
        b[8] = (b[8] & 0x3F) | 0x80  // RFC 4122 variant
        let uuid = UUID(
            uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])
        )
        return uuid.lowercasedString
    }

    /// `count` bytes from swift-crypto's generator (BoringSSL's, seeded by the kernel): one
    /// call, no system call per token.
    private static func random(_ count: Int) -> [UInt8] {
        SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)).withUnsafeBytes { Array($0) }
    }
}
