public import ConveyorCore
public import Hummingbird

/// APIKeyAuthenticator turns `Authorization: Bearer <key>` into the request's caller; the key is
/// found by its prefix and its hash compared in constant time. It never answers by itself: a
/// missing, malformed, unknown or revoked key leaves the request without a caller and the 401 in
/// `refusedKey`, answered when the route's `CallerContext` is made — after the rate limit has
/// counted the request against the client's address, so guessing keys is limited too.
///
/// Which routes it guards is decided by the router group it is added to, never by a list of paths.
/// With `Lookup.bestEffort` (the monitoring group: `/api/health`, `/metrics`), which must answer with
/// the database gone, a lookup that fails or takes over `within` leaves the caller anonymous —
/// unless the key is the one configured in `CONVEYOR_ADMIN_KEY`, then recognised from memory.
public struct APIKeyAuthenticator: RouterMiddleware {
    public typealias Context = ConveyorRequestContext

    /// How a key is looked up.
    public enum Lookup: Sendable {
        /// Through the store, failing the request if the store fails; with a rate limiter, the key
        /// is found and its customer's request decided in one round trip.
        case exact(rateLimiter: RateLimiter?)
        /// Through the store, giving up after `within` and falling back on the configured admin key.
        case bestEffort(within: Duration)
    }

    let store: any TenancyStore
    let lookup: Lookup
    /// The hash of `CONVEYOR_ADMIN_KEY`, when set.
    let configuredAdminHash: String?

    public init(store: any TenancyStore, lookup: Lookup, configuredAdminKey: String? = nil) {
        self.store = store
        self.lookup = lookup
        self.configuredAdminHash = configuredAdminKey.map(APIKeySecret.hash)
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        guard let header = request.headers[.authorization] else {
            return try await next(request, context)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            let prefix = APIKeySecret.lookupPrefix(of: String(parts[1]))
        else {
            context.refusedKey = .unauthorized("the Authorization header must be Bearer followed by a Conveyor API key")
            return try await next(request, context)
        }
        let hash = APIKeySecret.hash(String(parts[1]))
        let found: APIKey?
        switch lookup {
        case .bestEffort(let within):
            let store = self.store
            do {
                found = try await abandoning(after: within) { try await store.apiKey(prefix: prefix) }
            } catch {
                if let configuredAdminHash, APIKeySecret.hashesMatch(configuredAdminHash, hash) {
                    context.caller = .admin(keyID: "configured")
                } else {
                    context.refusedKey = ProblemMiddleware<Context>.problem(for: .unavailable(reason: "\(error)"))
                }
                return try await next(request, context)
            }
        case .exact(let rateLimiter?):
            let lookup = try await rateLimiter.lookUp(prefix: prefix, secretHash: hash)
            found = lookup.key
            context.rateLimit = lookup.rateLimit
        case .exact(nil):
            found = try await store.apiKey(prefix: prefix)
        }
        guard let key = found, key.accepts(secretHash: hash) else {
            context.refusedKey = .unauthorized("the API key is unknown or revoked")
            return try await next(request, context)
        }
        context.caller = key.customer.map { .customer($0, keyID: key.id) } ?? .admin(keyID: key.id)
        context.logger[metadataKey: "key_id"] = .string(key.id)
        if let customer = key.customer { context.logger[metadataKey: "customer"] = .string(customer) }
        return try await next(request, context)
    }
}
