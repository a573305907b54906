public import Foundation

/// WebhookURLPolicy is where deliveries may go: `https://` URLs whose host is a public address —
/// never loopback, private, link-local (the cloud metadata services), multicast or reserved —, so
/// a customer cannot make Conveyor reach into the network it runs in. `allowPrivateNetworks`
/// (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`, for development and tests) lifts the address rule and allows
/// `http://`. A host name's addresses are checked by whoever resolves it, when an endpoint is
/// registered and again before each delivery.
public struct WebhookURLPolicy: Sendable, Hashable {
    public var allowPrivateNetworks: Bool

    public init(allowPrivateNetworks: Bool = false) {
        self.allowPrivateNetworks = allowPrivateNetworks
    }

    /// The policy the settings give (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`, default false).
    public init(settings: Settings) throws(ValidationError) {
        self.init(allowPrivateNetworks: try settings.flag("WEBHOOK_ALLOW_PRIVATE_NETWORKS") ?? false)
    }

    /// The URL `text` names, if deliveries may go there as far as the URL alone says (a literal
    /// address is checked here).
    public func check(_ text: String, field: String = "url") throws(ValidationError) -> URL {
        guard text.utf8.count <= 2048 else { throw ValidationError(field: field, reason: "must be at most 2048 bytes") }
        guard let parts = URLComponents(string: text), let url = parts.url, let scheme = parts.scheme?.lowercased(),
            let host = parts.host, !host.isEmpty
        else {
            throw ValidationError(field: field, reason: "must be an absolute https:// URL with a host")
        }
        guard scheme == "https" || (scheme == "http" && allowPrivateNetworks) else {
            throw ValidationError(
                field: field,
                reason: allowPrivateNetworks ? "must be an http:// or https:// URL" : "must be an https:// URL")
        }
        guard parts.user == nil, parts.password == nil else {
            throw ValidationError(field: field, reason: "must not carry a user name or password")
        }
        guard parts.fragment == nil else { throw ValidationError(field: field, reason: "must not have a fragment") }
        if let address = NetworkAddress(host), let refusal = refusal(of: address) {
            throw ValidationError(field: field, reason: "names \(refusal), which deliveries may not reach")
        }
        return url
    }

    /// Why deliveries may not go to `address` (a phrase: "a loopback address"); nil when they may.
    public func refusal(of address: NetworkAddress) -> String? {
        guard !allowPrivateNetworks else { return nil }
        return address.nonPublicKind.map { "\(address) (\($0))" }
    }
}
