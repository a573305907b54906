import Crypto
import Foundation

/// SHA256Hex is the one way Conveyor writes a SHA-256: lower-case hex of the UTF-8 text. Migration
/// checksums, API-key hashes and request fingerprints all use it.
public enum SHA256Hex {
    public static func of(_ text: String) -> String {
        // By hand: `String(format: "%02x")` per byte cost more than the hashing itself.
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(text.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
