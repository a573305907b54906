public import ConveyorCore

/// AdminKeyBootstrap makes sure a fresh service can be administered: with `CONVEYOR_ADMIN_KEY`
/// set, that key is stored as an admin key (once); otherwise, when no admin key exists, one is made
/// and returned so that `serve` prints it, once.
public enum AdminKeyBootstrap {
    /// Returns a newly made admin key to show, or nil when none was made.
    public static func ensure(store: any TenancyStore, configured: String?) async throws -> String? {
        if let configured {
            guard let prefix = APIKeySecret.lookupPrefix(of: configured) else {
                throw ValidationError(
                    field: "CONVEYOR_ADMIN_KEY",
                    reason:
                        "must be a Conveyor key (cvk_ and 32 letters or digits); `conveyor keys create --admin` makes one"
                )
            }
            if let stored = try await store.apiKey(prefix: prefix) {
                guard stored.isAdmin, stored.accepts(configured) else {
                    throw ValidationError(
                        field: "CONVEYOR_ADMIN_KEY", reason: "names a key that is revoked or not an admin key")
                }
                return nil
            }
            let key = NewAPIKey(
                id: APIKeySecret.newID(), customer: nil, prefix: prefix,
                secretHash: APIKeySecret.hash(configured))
            _ = try await store.createAPIKey(key)
            return nil
        }
        if try await store.apiKeys(customer: nil).contains(where: { $0.isAdmin && !$0.isRevoked }) { return nil }
        let (key, secret) = APIKeySecret.generate(customer: nil)
        _ = try await store.createAPIKey(key)
        return secret
    }
}
