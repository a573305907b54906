public import ConveyorCore
public import Hummingbird

/// ConveyorRequestContext is the context every request starts with: who is calling, once an
/// authenticator has said. Routes that need a key see a `CallerContext` made from it instead.
public struct ConveyorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller; nil when the request had no valid key.
    public var caller: Caller?
    /// Why the request's key was refused, when it was: answered as the `CallerContext` is made, after
    /// the rate limit has counted the request against its client address.
    public var refusedKey: Problem?
    /// The rate-limit decision made together with the key lookup, when there was one.
    public var rateLimit: RateLimitDecision?
    /// The dashboard session the request's cookie belongs to, once the session authenticator has
    /// found it; dashboard pages see a `DashboardContext` made from it instead.
    public var dashboardSession: DashboardSession?
    /// The cookie's token of that session (to end it on signing out).
    var sessionToken: String?
    /// A dashboard action's form, read and checked (CSRF token) by `DashboardActionGuard`.
    var form: FormBody?
    /// The address of the connection's peer (a proxy's, behind one).
    public let peerAddress: String?
    /// The largest request body read, in bytes (413 beyond it).
    public var maxUploadSize: Int { ServerLimits.bodyBytes }

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// ServerLimits are the request limits of the HTTP API.
public enum ServerLimits {
    /// The largest request body: enough for a batch of 1,000 jobs with small payloads.
    public static let bodyBytes = 4 << 20
}
