import ConveyorCore
import Foundation
public import Hummingbird

/// Problem is an RFC 9457 problem detail: every error the API answers with is one, as
/// `application/problem+json`, naming the offending field when there is one.
public struct Problem: Error, Sendable, Hashable, Encodable, HTTPResponseError {
    public var type: String
    public var title: String
    public var statusCode: Int
    public var detail: String
    /// The request field at fault (`queue`, `payload`, `max_attempts`…), when one is.
    public var field: String?
    /// Why a lease call was refused (`lease_lost`, `cancelled`), for workers to tell apart.
    public var reason: String?
    /// Extra headers (`Location`, `Retry-After`…).
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, type: String, title: String, detail: String, field: String? = nil) {
        self.type = "https://conveyor.dev/problems/" + type
        self.title = title
        self.statusCode = status.code
        self.detail = detail
        self.field = field
    }

    public var status: HTTPResponse.Status { .init(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        let body = try JSONEncoder.conveyor().encode(self)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    enum CodingKeys: String, CodingKey {
        case type, title, detail, field, reason
        case statusCode = "status"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(statusCode, forKey: .statusCode)
        try container.encode(detail, forKey: .detail)
        try container.encodeIfPresent(field, forKey: .field)
        try container.encodeIfPresent(reason, forKey: .reason)
    }

    public static func unauthorized(_ detail: String) -> Problem {
        var problem = Problem(status: .unauthorized, type: "unauthorized", title: "Unauthorized", detail: detail)
        problem.headers[.wwwAuthenticate] = "Bearer"
        return problem
    }

    public static func forbidden(_ detail: String) -> Problem {
        Problem(status: .forbidden, type: "forbidden", title: "Forbidden", detail: detail)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, type: "not-found", title: "Not Found", detail: detail)
    }

    public static func invalid(_ field: String, _ reason: String) -> Problem {
        Problem(
            status: .unprocessableContent, type: "invalid-field", title: "Invalid request",
            detail: "\(field) \(reason)", field: field)
    }
}
