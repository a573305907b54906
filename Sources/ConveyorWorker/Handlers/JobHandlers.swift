import ConveyorCore
import Foundation

/// JobHandlers maps job types to the code that runs them. Register one handler per type, with the
/// `Decodable` payload it expects; a fallback, if set, runs every other type (that is how
/// `conveyor work -- COMMAND` runs a program for whatever it claims).
///
/// A handler completes the job by returning, fails it by throwing (retried with backoff, then
/// dead), fails it for good with `NonRetryableError`, and postpones it with `JobSnooze`.
public struct JobHandlers: Sendable {
    /// A handler as the runtime calls it.
    public typealias Handler = @Sendable (JobContext) async throws -> Void

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
        byType[type] = { context in
            let payload: Payload
            do {
                payload = try JSONDecoder.conveyor().decode(Payload.self, from: Data(context.job.payload.text.utf8))
            } catch {
                throw NonRetryableError("the payload does not decode as \(Payload.self): \(error)")
            }
            try await body(payload, context)
        }
    }

    /// Runs `body` for jobs of `type`, which reads `context.job.payload` itself.
    public mutating func register(_ type: String, _ body: @escaping Handler) {
        byType[type] = body
    }

    /// Runs `body` for every type that has no handler of its own.
    public mutating func registerFallback(_ body: @escaping Handler) {
        fallback = body
    }

    /// The handler for a job type, if any.
    public func handler(for type: String) -> Handler? {
        byType[type] ?? fallback
    }
}
