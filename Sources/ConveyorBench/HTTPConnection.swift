import NIOCore
import NIOHTTP1
import NIOPosix

/// HTTPConnection is one keep-alive HTTP/1.1 connection to loopback that sends a request and
/// reads its whole answer, one at a time.
struct HTTPConnection {
    typealias Send = (HTTPMethod, String, ByteBuffer?) async throws -> (HTTPResponseStatus, ByteBuffer)

    let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    init(port: Int) async throws {
        channel = try await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Runs `body` with a `send` for this connection (each request carrying `headers`), then closes it.
    func use<T: Sendable>(
        _ body: (Send) async throws -> T, headers: () -> [(String, String)]
    ) async throws -> T {
        let fixed = headers()
        return try await channel.executeThenClose { inbound, outbound in
            var responses = inbound.makeAsyncIterator()
            return try await body { method, path, content in
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
                head.headers.add(name: "Host", value: "127.0.0.1")
                for (name, value) in fixed { head.headers.add(name: name, value: value) }
                head.headers.add(name: "Content-Length", value: String(content?.readableBytes ?? 0))
                try await outbound.write(.head(head))
                if let content { try await outbound.write(.body(.byteBuffer(content))) }
                try await outbound.write(.end(nil))
                var status = HTTPResponseStatus.internalServerError
                var answer = ByteBuffer()
                reading: while let part = try await responses.next() {
                    switch part {
                    case .head(let response): status = response.status
                    case .body(var chunk): answer.writeBuffer(&chunk)
                    case .end: break reading
                    }
                }
                return (status, answer)
            }
        }
    }
}
