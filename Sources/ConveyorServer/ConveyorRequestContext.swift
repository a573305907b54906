public import Hummingbird

/// ConveyorRequestContext is what every route sees besides the request: who is calling, once the
/// authenticator has said.
public struct ConveyorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller; nil only on the routes that need no key.
    public var caller: Caller?
    /// The largest request body read, in bytes (413 beyond it).
    public var maxUploadSize: Int { ServerLimits.bodyBytes }

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// The caller, or 401 when there is none.
    func requireCaller() throws(Problem) -> Caller {
        guard let caller else { throw Problem.unauthorized("an API key is required") }
        return caller
    }
}

/// ServerLimits are the request limits of the HTTP API.
public enum ServerLimits {
    /// The largest request body: enough for a batch of 1,000 jobs with small payloads.
    public static let bodyBytes = 4 << 20
}
