import ConveyorCore
import Foundation
import Hummingbird

/// JSONResponse writes an Encodable as Conveyor's JSON dialect with a status and headers.
enum JSONResponse {
    static func make(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    ) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        let body = try JSONEncoder.conveyor().encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Reads and decodes a JSON body; malformed JSON and wrong types become problems naming the field.
    static func decode<T: Decodable>(_ type: T.Type, from request: inout Request) async throws -> T {
        let buffer = try await request.collectBody(upTo: ServerLimits.bodyBytes)
        return try RequestDecoder().decode(T.self, from: buffer.readableBytesView)
    }
}
