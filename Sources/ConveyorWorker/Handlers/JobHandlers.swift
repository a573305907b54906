public import ConveyorCore
import Foundation

/// JobHandlers maps job types to the code that runs them. Register one handler per type, with the
/// `Decodable` payload it expects; a fallback, if set, runs every other type (that is how
/// `conveyor work -- COMMAND` runs a program for whatever it claims).
///
/// A handler completes the job by returning — with nothing, or with a result: any `Encodable`
/// value, kept as the job's `result` (a `JobPayload` is kept byte for byte) —, fails it by
/// throwing (retried with backoff, then dead), fails it for good with `NonRetryableError`, and
/// postpones it with `JobSnooze`.
public struct JobHandlers: Sendable {
    /// A handler as the runtime calls it: the job's result, or nil for none.
    public typealias Handler = @Sendable (JobContext) async throws -> JobPayload?

    private var byType: [String: Handler] = [:]
    private var fallback: Handler?

    /// No handlers yet.
    public init() {}

    /// Runs `body` for jobs of `type`, with the payload decoded as `Payload`. A payload that does
    /// not decode fails the job as non-retryable: no retry can fix it.
    public mutating func register<Payload: Decodable & Sendable>(
        _ type: String, payload: Payload.Type = Payload.self,
        _ body: @escaping @Sendable (Payload, JobContext) async throws -> Void
    ) {
        register(type, payload: payload) { (payload: Payload, context) -> JobPayload? in
            try await body(payload, context)
            return nil
        }
    }

    /// Runs `body` for jobs of `type`, with the payload decoded as `Payload`; what it returns is
    /// the job's result.
    public mutating func register<Payload: Decodable & Sendable, Output: Encodable & Sendable>(
        _ type: String, payload: Payload.Type = Payload.self,
        _ body: @escaping @Sendable (Payload, JobContext) async throws -> Output
    ) {
        byType[type] = { context in
            let payload: Payload
            do {
                payload = try JSONDecoder.conveyor().decode(Payload.self, from: Data(context.job.payload.text.utf8))
            } catch {
                throw NonRetryableError("the payload does not decode as \(Payload.self): \(error)")
            }
            return try Self.result(try await body(payload, context))
        }
    }

    /// Runs `body` for jobs of `type`, which reads `context.job.payload` itself.
    public mutating func register(_ type: String, _ body: @escaping @Sendable (JobContext) async throws -> Void) {
        byType[type] = { context in
            try await body(context)
            return nil
        }
    }

    /// Runs `body` for jobs of `type`, which reads `context.job.payload` itself; what it returns is
    /// the job's result.
    public mutating func register<Output: Encodable & Sendable>(
        _ type: String, _ body: @escaping @Sendable (JobContext) async throws -> Output
    ) {
        byType[type] = { context in try Self.result(try await body(context)) }
    }

    /// Runs `body` for every type that has no handler of its own; what it returns is the job's
    /// result (nil: none).
    public mutating func registerFallback<Output: Encodable & Sendable>(
        _ body: @escaping @Sendable (JobContext) async throws -> Output
    ) {
        fallback = { context in try Self.result(try await body(context)) }
    }

    /// Runs `body` for every type that has no handler of its own.
    public mutating func registerFallback(_ body: @escaping @Sendable (JobContext) async throws -> Void) {
        fallback = { context in
            try await body(context)
            return nil
        }
    }

    /// A handler's return value as the job's result: its JSON (a `JobPayload`'s own bytes); nil for
    /// an optional that is nil. One that does not encode fails the attempt for good: no retry can
    /// change what the code returns.
    static func result<Output: Encodable & Sendable>(_ output: Output) throws -> JobPayload? {
        if let payload = output as? JobPayload { return payload }
        if let optional = output as? any OptionalValue, optional.isNone { return nil }
        let bytes: Data
        do {
            bytes = try JSONEncoder.conveyor().encode(output)
        } catch {
            throw NonRetryableError("the result does not encode as JSON: \(error)")
        }
        do {
            return try JobPayload(json: Array(bytes), limitBytes: .max, field: "result")
        } catch {
            throw NonRetryableError("the result is not one JSON value: \(error.reason)")
        }
    }

    /// The handler for a job type, if any.
    public func handler(for type: String) -> Handler? {
        byType[type] ?? fallback
    }
}

/// OptionalValue tells a nil result (no result) from a value.
protocol OptionalValue {
    var isNone: Bool { get }
}

extension Optional: OptionalValue {
    var isNone: Bool { self == nil }
}
