import Foundation

/// APIKeySecret makes and checks API keys: `cvk_` and 32 random base-62 characters (190 bits),
/// looked up by their first 12 characters and stored only as SHA-256.
public enum APIKeySecret {
    public static let marker = "cvk_"
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    static let randomLength = 32
    public static let prefixLength = 12

    /// A fresh key for `customer` (nil: an admin key): what to store, and the secret to show once.
    public static func generate(
        customer: String?, using generator: inout some RandomNumberGenerator
    ) -> (key: NewAPIKey, secret: String) {
        let random = (0..<randomLength).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        let secret = marker + String(random)
        let key = NewAPIKey(
            id: newID(using: &generator), customer: customer, prefix: prefix(of: secret), secretHash: hash(secret))
        return (key, secret)
    }

    /// A fresh key id (`key_` and 16 base-62 characters): keys are listed and revoked by it.
    /// Other ids shown to users (a webhook endpoint's) take the same shape after their own marker.
    public static func newID(marker: String = "key_", using generator: inout some RandomNumberGenerator) -> String {
        marker + String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// A fresh id from the system's cryptographic generator.
    public static func newID(marker: String = "key_") -> String {
        var generator = SystemRandomNumberGenerator()
        return newID(marker: marker, using: &generator)
    }

    /// A fresh key from the system's cryptographic generator.
    public static func generate(customer: String?) -> (key: NewAPIKey, secret: String) {
        var generator = SystemRandomNumberGenerator()
        return generate(customer: customer, using: &generator)
    }

    /// The part a key is looked up by, or nil when `secret` does not have a key's shape.
    public static func lookupPrefix(of secret: String) -> String? {
        guard secret.hasPrefix(marker), secret.count == marker.count + randomLength,
            secret.dropFirst(marker.count).allSatisfy({ alphabet.contains($0) })
        else { return nil }
        return prefix(of: secret)
    }

    static func prefix(of secret: String) -> String { String(secret.prefix(prefixLength)) }

    /// SHA-256 of the key, lower-case hex.
    public static func hash(_ secret: String) -> String { SHA256Hex.of(secret) }

    /// Compares two hashes in time that depends only on their length, not on where they differ.
    public static func hashesMatch(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
