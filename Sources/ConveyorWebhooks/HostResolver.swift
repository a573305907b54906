public import ConveyorCore
public import Foundation
import NIOPosix

/// HostResolver finds a host name's addresses with the system's resolver (getaddrinfo, on NIO's
/// thread pool: it blocks), so that `WebhookURLPolicy` can judge every one of them.
public struct HostResolver: Sendable {
    public init() {}

    /// Every address `host` resolves to (a literal address is its own); throws when it resolves
    /// to none.
    public func addresses(of host: String) async throws -> [NetworkAddress] {
        if let literal = NetworkAddress(host) { return [literal] }
        return try await NIOThreadPool.singleton.runIfActive { try Self.lookUp(host) }
    }

    static func lookUp(_ host: String) throws -> [NetworkAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let list else {
            throw HostResolutionError(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var found: [NetworkAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let entry = next {
            if let address = entry.pointee.ai_addr {
                switch Int32(entry.pointee.ai_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        var ip = $0.pointee.sin_addr
                        found.append(NetworkAddress(bytes: withUnsafeBytes(of: &ip) { Array($0) })!)
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        var ip = $0.pointee.sin6_addr
                        found.append(NetworkAddress(bytes: withUnsafeBytes(of: &ip) { Array($0) })!)
                    }
                default: break
                }
            }
            next = entry.pointee.ai_next
        }
        guard !found.isEmpty else { throw HostResolutionError(host: host, reason: "no addresses") }
        return Array(Set(found)).sorted { $0.description < $1.description }
    }
}

/// HostResolutionError: a host name that does not resolve.
public struct HostResolutionError: Error, CustomStringConvertible {
    public let host: String
    public let reason: String
    public var description: String { "\(host) does not resolve: \(reason)" }
}

extension WebhookURLPolicy {
    /// Checks `url` as `check(_:)` does, and every address its host resolves to now; throws a
    /// `ValidationError` naming `field` for a URL deliveries may not reach.
    public func checkResolving(
        _ url: String, field: String = "url", resolver: HostResolver = HostResolver()
    ) async throws -> URL {
        let checked = try check(url, field: field)
        guard !allowPrivateNetworks, let host = checked.host else { return checked }
        let addresses: [NetworkAddress]
        do {
            addresses = try await resolver.addresses(of: host)
        } catch {
            throw ValidationError(field: field, reason: "has a host that does not resolve (\(host))")
        }
        for address in addresses {
            if let refusal = refusal(of: address) {
                throw ValidationError(
                    field: field,
                    reason: "has a host, \(host), that resolves to \(refusal), which deliveries may not reach")
            }
        }
        return checked
    }
}
