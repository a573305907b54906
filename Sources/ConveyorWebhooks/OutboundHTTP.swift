public import AsyncHTTPClient
import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle

/// OutboundHTTP is the process's one HTTP client for the requests Conveyor makes (webhook
/// deliveries, Slack alerts): AsyncHTTPClient with its connection pool, never following a
/// redirect (a redirect could lead a delivery anywhere the address rules forbid), connecting
/// within 5 s. Run as a service, it is shut down cleanly after the services that use it stop.
public final class OutboundHTTP: Service, Sendable {
    public let client: HTTPClient

    /// `connectionsPerHost`: how many connections to one host may be open at once. The client's
    /// default, 8, made every delivery to a host wait behind eight slow ones — and many customers'
    /// endpoints share a host (a hosted receiver, or the benchmark's one): the deliveries' own
    /// limits (`WEBHOOK_CONCURRENCY`, per customer) are the bound instead.
    public init(connectTimeout: Duration = .seconds(5), connectionsPerHost: Int = 1024) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(connectTimeout.nanoseconds)))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    public func run() async throws {
        // Until the group stops: the services that send through the client stop first.
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
