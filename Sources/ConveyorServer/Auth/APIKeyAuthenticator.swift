public import ConveyorCore
public import Hummingbird

/// APIKeyAuthenticator turns `Authorization: Bearer <key>` into the request's caller. A missing,
/// malformed, unknown or revoked key is a 401 problem; the key is found by its prefix and its hash
/// compared in constant time. Routes listed as open (health, the OpenAPI document) pass without one.
public struct APIKeyAuthenticator: RouterMiddleware {
    public typealias Context = ConveyorRequestContext

    let store: any JobStore
    let openPaths: Set<String>

    public init(store: any JobStore, openPaths: Set<String>) {
        self.store = store
        self.openPaths = openPaths
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized("an API key is required: send Authorization: Bearer <key>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            let prefix = APIKeySecret.lookupPrefix(of: String(parts[1]))
        else {
            throw Problem.unauthorized("the Authorization header must be Bearer followed by a Conveyor API key")
        }
        guard let key = try await store.apiKey(prefix: prefix), key.accepts(String(parts[1])) else {
            throw Problem.unauthorized("the API key is unknown or revoked")
        }
        var context = context
        context.caller = key.customer.map { .customer($0, keyID: key.id) } ?? .admin(keyID: key.id)
        context.logger[metadataKey: "key_id"] = .string(key.id)
        return try await next(request, context)
    }
}
