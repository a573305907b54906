/// RequestIdempotency is an HTTP `Idempotency-Key` with a fingerprint of the request it came with.
/// The key is the customer's (whatever the queue) for `retention` after its first use, or as long
/// as the job it made exists, whichever is shorter: within that time the same key and
/// fingerprint answer the job it made, and a different fingerprint is refused.
public struct RequestIdempotency: Sendable, Hashable {
    /// How long a key is remembered (as Stripe does: at least 24 hours).
    public static let retention = Duration.seconds(24 * 3600)

    public let key: String
    /// A digest of what the request asked for; equal requests have equal fingerprints.
    public let fingerprint: String

    public init(key: String, fingerprint: String) throws(ValidationError) {
        self.key = try NameRules.idempotencyKey(key, field: "Idempotency-Key")
        self.fingerprint = fingerprint
    }

    /// The fingerprint of a request described by `canonicalText` (SHA-256, hex).
    public static func fingerprint(of canonicalText: String) -> String {
        SHA256Hex.of(canonicalText)
    }
}

/// IdempotentEnqueue is what an enqueue under a `RequestIdempotency` did.
public enum IdempotentEnqueue: Sendable, Hashable {
    /// The key was new (or forgotten): the job was committed.
    case created(Job)
    /// The key made this job for the same request before; nothing was written.
    case replayed(Job)
    /// The key made another job for a different request; nothing was written.
    case conflict(JobID)
}
