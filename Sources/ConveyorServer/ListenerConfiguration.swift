public import ConveyorCore
import Foundation
import HummingbirdCore
import HummingbirdTLS
public import NIOSSL

/// ListenerConfiguration bounds what connections may cost `conveyor serve`, and says whether it
/// speaks HTTPS. Read once from the settings.
public struct ListenerConfiguration: Sendable {
    /// A connection with no request under way is closed after this long
    /// (`HTTP_IDLE_TIMEOUT_SECONDS`, default 60). The clock restarts only when a whole part of a
    /// request arrives, so a client that trickles its headers a byte at a time is cut too.
    public var idleTimeout: Duration
    /// The most connections open at once (`HTTP_MAX_CONNECTIONS`, default 512); past it the server
    /// accepts no more until one closes (they wait in the listen backlog).
    public var maximumConnections: Int
    /// The most long-poll claims one customer may hold waiting on this server
    /// (`CLAIM_WAITERS_PER_CUSTOMER`, default 64); past it a claim that would wait is a 429.
    public var claimWaitersPerCustomer: Int
    /// With it, the server speaks HTTPS only: from the certificate chain and private key in PEM
    /// files (`TLS_CERT_FILE`, `TLS_KEY_FILE`), read by `tls(certificateChain:privateKey:)`.
    public var tls: TLSConfiguration?

    /// The default of `claimWaitersPerCustomer`.
    public static let defaultClaimWaitersPerCustomer = 64

    /// Creates a configuration; every argument defaults to the documented default.
    public init(
        idleTimeout: Duration = .seconds(60), maximumConnections: Int = 512,
        claimWaitersPerCustomer: Int = ListenerConfiguration.defaultClaimWaitersPerCustomer,
        tls: TLSConfiguration? = nil
    ) {
        self.idleTimeout = idleTimeout
        self.maximumConnections = maximumConnections
        self.claimWaitersPerCustomer = claimWaitersPerCustomer
        self.tls = tls
    }

    /// The configuration the settings give; what they leave out keeps its default.
    public init(settings: Settings) throws(ValidationError) {
        self.init()
        idleTimeout = try settings.seconds("HTTP_IDLE_TIMEOUT_SECONDS", in: 1...86_400) ?? idleTimeout
        maximumConnections = try settings.integer("HTTP_MAX_CONNECTIONS", in: 1...1_000_000) ?? maximumConnections
        claimWaitersPerCustomer =
            try settings.integer("CLAIM_WAITERS_PER_CUSTOMER", in: 0...100_000) ?? claimWaitersPerCustomer
        switch (settings.text("TLS_CERT_FILE"), settings.text("TLS_KEY_FILE")) {
        case (let chain?, let key?): tls = try Self.tls(certificateChain: chain, privateKey: key)
        case (nil, nil): tls = nil
        case (nil, _?): throw ValidationError(field: "TLS_CERT_FILE", reason: "must be set with TLS_KEY_FILE")
        case (_?, nil): throw ValidationError(field: "TLS_KEY_FILE", reason: "must be set with TLS_CERT_FILE")
        }
    }

    /// Whether the server speaks HTTPS.
    public var isTLS: Bool { tls != nil }

    /// The TLS configuration of a server with the certificate chain and private key in these PEM
    /// files (TLS 1.2 at least). A file that cannot be read is an error naming its setting.
    public static func tls(certificateChain: String, privateKey: String) throws(ValidationError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateChain)
        } catch {
            throw ValidationError(field: "TLS_CERT_FILE", reason: "is not a readable PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw ValidationError(field: "TLS_CERT_FILE", reason: "holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKey, format: .pem)
        } catch {
            // Only that it could not be read: an error about a key file never quotes it.
            throw ValidationError(field: "TLS_KEY_FILE", reason: "is not a readable PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    /// The HTTP server: HTTP/1.1 with the idle timeout, inside TLS when configured.
    func server() throws(ValidationError) -> HTTPServerBuilder {
        let http = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .init(idleTimeout)))
        guard let tls else { return http }
        do {
            return try .tls(http, tlsConfiguration: tls)
        } catch {
            throw ValidationError(
                field: "TLS_CERT_FILE", reason: "and TLS_KEY_FILE do not make a TLS server (\(error))")
        }
    }
}
