import ConveyorCore
public import Hummingbird

/// DashboardContext is the context of every dashboard page: it can only be made from a request
/// with a live session, so a page is refused to anyone not signed in by where it is written — the
/// browser is sent to the sign-in page instead.
public struct DashboardContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let session: DashboardSession
    let sessionToken: String
    /// The form of an action, checked by `DashboardActionGuard`; nil on pages.
    let form: FormBody?
    /// The address of the connection's peer (a proxy's, behind one).
    let peerAddress: String?
    public var maxUploadSize: Int { ServerLimits.bodyBytes }

    public init(context: ConveyorRequestContext) throws {
        guard let session = context.dashboardSession, let token = context.sessionToken else {
            throw DashboardRedirect.signIn
        }
        self.coreContext = context.coreContext
        self.session = session
        self.sessionToken = token
        self.form = context.form
        self.peerAddress = context.peerAddress
    }

    var caller: Caller { session.caller }
}

/// DashboardRedirect sends the browser elsewhere instead of answering (303 See Other).
struct DashboardRedirect: Error, Sendable {
    let location: String

    static let signIn = DashboardRedirect(location: "/sign-in")
}
