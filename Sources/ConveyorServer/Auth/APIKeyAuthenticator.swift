public import ConveyorCore
public import Hummingbird

/// APIKeyAuthenticator turns `Authorization: Bearer <key>` into the request's caller; the key is
/// found by its prefix and its hash compared in constant time. A missing, malformed, unknown or
/// revoked key leaves the request without a caller and the 401 in `refusedKey`: it is answered by
/// the routes, after the rate limit has counted it against the client's address. Routes listed as
/// open (the OpenAPI document, the probes) pass untouched. On `/api/health` and `/metrics` the key
/// is looked up on a best-effort basis, because they must answer with the database gone: a lookup
/// that fails or takes over a second leaves the caller anonymous instead of failing — unless the
/// key is the one configured in `CONVEYOR_ADMIN_KEY`, which is then recognised from memory.
public struct APIKeyAuthenticator: RouterMiddleware {
    public typealias Context = ConveyorRequestContext

    let store: any JobStore
    let openPaths: Set<String>
    /// With a rate limiter, the key is found and its customer's request decided in one round trip.
    let rateLimiter: RateLimiter?

    /// The hash of `CONVEYOR_ADMIN_KEY`, when set.
    let configuredAdminHash: String?

    static let bestEffortPaths: Set<String> = ["/api/health", "/metrics"]

    public init(
        store: any JobStore, openPaths: Set<String>, rateLimiter: RateLimiter? = nil, configuredAdminKey: String? = nil
    ) {
        self.store = store
        self.openPaths = openPaths
        self.rateLimiter = rateLimiter
        self.configuredAdminHash = configuredAdminKey.map(APIKeySecret.hash)
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
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
        if Self.bestEffortPaths.contains(request.uri.path) {
            let store = self.store
            do {
                found = try await withDeadline(.seconds(1)) { try await store.apiKey(prefix: prefix) }
            } catch {
                if let configuredAdminHash, APIKeySecret.hashesMatch(configuredAdminHash, hash) {
                    context.caller = .admin(keyID: "configured")
                } else {
                    context.refusedKey = ProblemMiddleware<Context>.problem(for: .unavailable(reason: "\(error)"))
                }
                return try await next(request, context)
            }
        } else if let rateLimiter {
            let lookup = try await rateLimiter.lookUp(prefix: prefix, secretHash: hash)
            found = lookup.key
            context.rateLimit = lookup.rateLimit
        } else {
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
