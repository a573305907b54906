import ConveyorCore
import NIOCore
import NIOPosix

/// PostgresReachability tells at once when nothing listens where the URL points. PostgresNIO's
/// pool retries a refused connection until the connect timeout, so a stopped server or a wrong
/// port (`postgres://x@127.0.0.1:1/db`) was reported only after 10 s; one plain TCP connection
/// first is refused in a millisecond. A server that does not answer at all still takes the timeout.
enum PostgresReachability {
    static func check(host: String, port: Int, location: String, timeout: Duration) async throws {
        do {
            let channel = try await withDeadline(timeout) {
                try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.milliseconds(Int64(timeout.timeInterval * 1000)))
                    .connect(host: host, port: port).get()
            }
            try? await channel.close()
        } catch {
            guard let refusal = refusal(error, host: host, port: port) else { return }
            throw JobStoreError.unavailable(reason: "cannot reach the PostgreSQL server at \(location): \(refusal)")
        }
    }

    /// The sentence for an error that no retry can mend (refused, unknown host); nil for others,
    /// which the pool's own attempt, within the timeout, reports.
    private static func refusal(_ error: any Error, host: String, port: Int) -> String? {
        let errors = (error as? NIOConnectionError)?.connectionErrors.map(\.error) ?? [error]
        for error in errors {
            if let io = error as? IOError, io.errnoCode == ECONNREFUSED {
                return "\(host):\(port) refused the connection (no server listens there)"
            }
        }
        let unresolved =
            if let connection = error as? NIOConnectionError {
                connection.dnsAError != nil && connection.dnsAAAAError != nil
            } else {
                error is SocketAddressError || error is SocketAddressError.UnknownHost
            }
        return unresolved ? "the host \(host) is not a name this machine can resolve" : nil
    }
}
