import ConveyorCore
import Foundation
public import Hummingbird
import NIOCore

/// ProblemMiddleware is the one place errors become responses: validation, store refusals,
/// malformed bodies and Hummingbird's own errors all leave as problem+json.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The methods each route answers, for telling 405 from 404.
    let methods: RouteMethods

    init(methods: RouteMethods) { self.methods = methods }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (error, headers) =
                if let headed = error as? ErrorWithHeaders { (headed.error, headed.headers) } else { (error, [:]) }
            var problem = Self.problem(for: error)
            if let http = error as? HTTPError, http.status == .notFound {
                let allowed = methods.allowed(for: request.uri.path)
                if !allowed.isEmpty {
                    problem = Problem(
                        status: .methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
                        detail:
                            "\(request.uri.path) answers \(allowed.map(\.rawValue).joined(separator: ", ")), not \(request.method.rawValue)"
                    )
                    problem.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                }
            }
            problem.headers.append(contentsOf: headers)
            if problem.statusCode >= 500 {
                context.logger.error("request failed", metadata: ["error": .string("\(error)")])
            }
            return try problem.response(from: request, context: context)
        }
    }

    static func problem(for error: any Error) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let invalid as ValidationError:
            if invalid.status == .tooLarge {
                return Problem(
                    status: .contentTooLarge, type: "too-large", title: "Too large", detail: invalid.description,
                    field: invalid.field)
            }
            return .invalid(invalid.field, invalid.reason)
        case let refused as JobStoreError:
            return problem(for: refused)
        case let malformed as JSONSyntaxError:
            return Problem(
                status: .badRequest, type: "malformed", title: "Malformed JSON",
                detail: malformed.field.isEmpty
                    ? "the body is not valid JSON: \(malformed.reason)" : malformed.description,
                field: malformed.field.isEmpty ? nil : malformed.field)
        case let decoding as DecodingError:
            return problem(for: decoding)
        case is NIOTooManyBytesError:
            return Problem(
                status: .contentTooLarge, type: "too-large", title: "Too large",
                detail: "the request body is over the limit of \(ServerLimits.bodyBytes) bytes")
        case let http as HTTPError:
            if http.status == .contentTooLarge {
                return Problem(
                    status: .contentTooLarge, type: "too-large", title: "Too large",
                    detail: "the request body is over the limit of \(ServerLimits.bodyBytes) bytes")
            }
            return Problem(
                status: http.status, type: "http", title: http.status.reasonPhrase,
                detail: http.body ?? http.status.reasonPhrase)
        default:
            return Problem(
                status: .internalServerError, type: "internal", title: "Internal error",
                detail: "the server failed; the request may not have been carried out")
        }
    }

    static func problem(for refused: JobStoreError) -> Problem {
        switch refused {
        case .notFound, .customerNotFound, .apiKeyNotFound, .workerNotFound, .webhookNotFound, .scheduleNotFound:
            return .notFound(refused.description)
        case .leaseLost:
            var problem = Problem(
                status: .conflict, type: "lease-lost", title: "Lease lost", detail: refused.description)
            problem.reason = "lease_lost"
            return problem
        case .cancelled:
            var problem = Problem(status: .conflict, type: "cancelled", title: "Cancelled", detail: refused.description)
            problem.reason = "cancelled"
            return problem
        case .illegalTransition:
            return Problem(
                status: .conflict, type: "illegal-transition", title: "Conflict", detail: refused.description)
        case .customerExists:
            return Problem(
                status: .conflict, type: "exists", title: "Conflict", detail: refused.description, field: "name")
        case .backlogQuotaExceeded:
            // Not retried at once: the backlog drains at the workers' pace, not in seconds.
            return Problem(
                status: .tooManyRequests, type: "backlog-quota", title: "Backlog quota reached",
                detail: refused.description, field: "backlog_quota")
        case .tooManyWebhooks:
            return Problem(
                status: .conflict, type: "too-many-webhooks", title: "Conflict", detail: refused.description)
        case .scheduleExists:
            return Problem(
                status: .conflict, type: "exists", title: "Conflict", detail: refused.description, field: "name")
        case .tooManySchedules:
            return Problem(
                status: .conflict, type: "too-many-schedules", title: "Conflict", detail: refused.description)
        case .unavailable:
            return Problem(
                status: .serviceUnavailable, type: "unavailable", title: "Service unavailable",
                detail: "the database did not answer; nothing was changed")
        }
    }

    static func problem(for decoding: DecodingError) -> Problem {
        func field(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch decoding {
        case .keyNotFound(let key, let context):
            let name = field(context.codingPath + [key])
            return .invalid(name, "is required")
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty {
                return Problem(
                    status: .unprocessableContent, type: "invalid-body", title: "Invalid request",
                    detail: "the body must be a JSON object")
            }
            return .invalid(field(context.codingPath), "must be \(Self.describe(type))")
        case .valueNotFound(let type, let context):
            return .invalid(field(context.codingPath), "must be \(Self.describe(type)), not null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return Problem(
                    status: .badRequest, type: "malformed", title: "Malformed JSON",
                    detail: "the body is not a JSON document")
            }
            return .invalid(field(context.codingPath), context.debugDescription)
        @unknown default:
            return Problem(status: .badRequest, type: "malformed", title: "Malformed JSON", detail: "\(decoding)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
}
