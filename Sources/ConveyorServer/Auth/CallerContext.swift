import ConveyorCore
public import Hummingbird

/// CallerContext is the context of every route in the `/api` group: a request reaches such a route
/// only with an accepted key, because the context cannot be made without one. A route written in
/// that group is therefore refused to anonymous callers by where it is written, not by a check its
/// handler must remember.
public struct CallerContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who the request's key speaks for.
    public let caller: Caller
    public var maxUploadSize: Int { ServerLimits.bodyBytes }

    /// Refuses a request without an accepted key: 401, with the authenticator's reason when it gave one.
    public init(context: ConveyorRequestContext) throws {
        guard let caller = context.caller else {
            throw context.refusedKey ?? Problem.unauthorized("an API key is required: send Authorization: Bearer <key>")
        }
        self.coreContext = context.coreContext
        self.caller = caller
    }
}

/// AdminContext is the context of the routes that act across customers (customers and keys,
/// pruning, metrics): it can only be made from an admin key's request, so a customer key meets 403
/// before any such handler runs.
public struct AdminContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var maxUploadSize: Int { ServerLimits.bodyBytes }

    public init(context: CallerContext) throws {
        guard context.caller.isAdmin else {
            throw Problem.forbidden("this route acts across customers: it needs an admin key")
        }
        self.coreContext = context.coreContext
    }
}
