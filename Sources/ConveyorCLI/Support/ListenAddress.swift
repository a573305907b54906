import Foundation
import NIOCore
import NIOPosix

/// ListenAddress checks, before anything starts, that `serve` can listen where it is told to, and
/// says in one sentence why not: NIO's own errors (`bind(descriptor:ptr:bytes:): Address already
/// in use) (errno: 98)`) arrived after the services had started and begun to shut down again.
struct ListenAddress {
    let host: String
    let port: Int

    /// Binds and releases the address (with SO_REUSEADDR, as the server binds it).
    func check() async throws(CommandFailure) {
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
            try? await channel.close()
        } catch {
            throw explained(error) ?? CommandFailure("cannot listen on \(host):\(port): \(error)")
        }
    }

    /// The sentence for a failure to listen, or nil when `error` is not one.
    func explained(_ error: any Error) -> CommandFailure? {
        if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            return CommandFailure(
                "HOST \(host) is neither an address of this machine nor a name it can resolve; use an address such as 127.0.0.1 or 0.0.0.0"
            )
        }
        guard let io = error as? IOError else { return nil }
        switch io.errnoCode {
        case EADDRINUSE:
            return CommandFailure(
                "\(host):\(port) is already in use by another process; stop it or choose another PORT (or --port)")
        case EADDRNOTAVAIL:
            return CommandFailure("HOST \(host) is not an address of this machine; use one it has, such as 127.0.0.1")
        case EACCES:
            return CommandFailure("port \(port) needs privileges this process lacks; choose a PORT above 1023")
        default:
            return nil
        }
    }
}
