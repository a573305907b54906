/// NameRules are the allowed shapes of customer, queue and job type names. They are checked at every
/// entry point (CLI, HTTP, library) by the initialisers of `NewJob` and the query types.
///
/// - customer and queue: 1–64 characters of `a–z`, `0–9`, `_`, `-`, starting with a letter or digit
///   (they appear in URL paths, so they are lower case and need no escaping);
/// - job type: 1–128 characters of `A–Z`, `a–z`, `0–9`, `_`, `.`, `:`, `-`, starting with a letter
///   (`email.send`, `Billing::Invoice`);
/// - idempotency key: 1–255 printable ASCII characters.
public enum NameRules {
    /// Checks a customer name.
    public static func customer(_ name: String, field: String = "customer") throws(ValidationError) -> String {
        try pathSegment(name, field: field)
    }

    /// Checks a queue name.
    public static func queue(_ name: String, field: String = "queue") throws(ValidationError) -> String {
        try pathSegment(name, field: field)
    }

    /// Checks a queue name that workers of the deployment and operators may also name Conveyor's
    /// own queue with (`WebhookDelivery.queue`: no caller can make a job there, since a queue name
    /// starts with a letter or digit).
    public static func workerQueue(_ name: String, field: String = "queue") throws(ValidationError) -> String {
        name == WebhookDelivery.queue ? name : try queue(name, field: field)
    }

    /// Checks a schedule's name (a path segment too: `…/schedules/{name}`).
    public static func schedule(_ name: String, field: String = "name") throws(ValidationError) -> String {
        try pathSegment(name, field: field)
    }

    /// Checks a job type name.
    public static func type(_ name: String, field: String = "type") throws(ValidationError) -> String {
        try check(
            name, field: field, maxLength: 128,
            rule: "must be 1–128 characters of A–Z, a–z, 0–9, '_', '.', ':' or '-', starting with a letter"
        ) {
            $0.isASCIILetter
        } rest: {
            $0.isASCIILetter || $0.isASCIIDigit || "_.:-".unicodeScalars.contains($0)
        }
    }

    /// Checks an idempotency key.
    public static func idempotencyKey(
        _ key: String, field: String = "idempotency_key"
    ) throws(ValidationError) -> String {
        try check(key, field: field, maxLength: 255, rule: "must be 1–255 printable ASCII characters") {
            $0.isPrintableASCII
        } rest: {
            $0.isPrintableASCII
        }
    }

    /// Customers and queues share one rule because both are URL path segments.
    private static func pathSegment(_ name: String, field: String) throws(ValidationError) -> String {
        try check(
            name, field: field, maxLength: 64,
            rule: "must be 1–64 characters of a–z, 0–9, '_' or '-', starting with a letter or digit"
        ) {
            $0.isLowercaseAlphanumeric
        } rest: {
            $0.isLowercaseAlphanumeric || $0 == "_" || $0 == "-"
        }
    }

    private static func check(
        _ value: String, field: String, maxLength: Int, rule: String,
        first: (Unicode.Scalar) -> Bool, rest: (Unicode.Scalar) -> Bool
    ) throws(ValidationError) -> String {
        let scalars = value.unicodeScalars
        guard let head = scalars.first, scalars.count <= maxLength, first(head), scalars.dropFirst().allSatisfy(rest)
        else {
            throw ValidationError(field: field, reason: "\(rule) (got \(value.debugDescription.prefix(80)))")
        }
        return value
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    fileprivate var isLowercaseAlphanumeric: Bool { ("a"..."z").contains(self) || isASCIIDigit }
    fileprivate var isPrintableASCII: Bool { (0x21...0x7E).contains(value) }
}
