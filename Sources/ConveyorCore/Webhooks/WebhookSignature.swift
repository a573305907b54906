import Crypto
public import Foundation

/// WebhookSignature signs a delivery as Standard Webhooks 1.0 specifies: HMAC-SHA256, keyed with
/// the endpoint's secret, of `{webhook-id}.{webhook-timestamp}.{body}`, sent as `v1,<base64>` —
/// one entry per secret in force, space-separated (during a rotation, the new one's and the old
/// one's, so a receiver holding either accepts the delivery).
public enum WebhookSignature {
    /// The `webhook-signature` header for `body` sent as message `id` at `timestamp` (Unix seconds).
    public static func header(id: String, timestamp: Int64, body: Data, secrets: [String]) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        return secrets.compactMap(WebhookSecret.key(of:)).map { key in
            let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
            return "v1," + Data(mac).base64EncodedString()
        }.joined(separator: " ")
    }
}
