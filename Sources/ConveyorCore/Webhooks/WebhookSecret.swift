public import Foundation

/// WebhookSecret makes and reads an endpoint's signing secret as Standard Webhooks 1.0 writes it:
/// `whsec_` and the base64 of the key's bytes. Conveyor's keys are 32 random bytes (the standard
/// asks for 24 to 64).
public enum WebhookSecret {
    public static let marker = "whsec_"
    public static let keyBytes = 32

    /// A fresh secret from `generator`.
    public static func generate(using generator: inout some RandomNumberGenerator) -> String {
        var bytes = [UInt8](repeating: 0, count: keyBytes)
        for index in bytes.indices { bytes[index] = generator.next() }
        return marker + Data(bytes).base64EncodedString()
    }

    /// A fresh secret from the system's cryptographic generator.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// The key a secret stands for; nil when `secret` does not have a secret's shape.
    public static func key(of secret: String) -> Data? {
        guard secret.hasPrefix(marker), let key = Data(base64Encoded: String(secret.dropFirst(marker.count))),
            (24...64).contains(key.count)
        else { return nil }
        return key
    }
}
