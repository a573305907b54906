/// TenancyStore holds the tenants: customers, their API keys, and each customer's own rate limit
/// and weight.
public protocol TenancyStore: Sendable {
    /// Adds a customer; `customerExists` if the name is taken.
    func createCustomer(_ name: String) async throws -> Customer

    /// Every customer, by name.
    func customers() async throws -> [Customer]

    /// The customer of this name, or nil.
    func customer(named name: String) async throws -> Customer?

    /// Stores a key made by `APIKeySecret.generate`; `customerNotFound` if its customer is not one.
    func createAPIKey(_ key: NewAPIKey) async throws -> APIKey

    /// Keys, oldest first: every key, or one customer's.
    func apiKeys(customer: String?) async throws -> [APIKey]

    /// The key with this lookup prefix, revoked or not, or nil.
    func apiKey(prefix: String) async throws -> APIKey?

    /// Revokes a key (again is no change); `apiKeyNotFound` if there is none with this id.
    func revokeAPIKey(id: String) async throws -> APIKey

    /// Sets a customer's own rate limit, or with nil gives it back the default;
    /// `customerNotFound` if there is no such customer.
    func setRateLimit(customer: String, policy: RateLimitPolicy?) async throws -> Customer

    /// Sets a customer's weight in fair claiming (`Customer.weights`), or with nil gives it back
    /// the default (1); `customerNotFound` if there is no such customer.
    func setWeight(customer: String, weight: Double?) async throws -> Customer

    /// Sets the most jobs a customer may have waiting (`Customer.backlogQuotas`), or with nil
    /// gives it back the global setting.
    func setBacklogQuota(customer: String, quota: Int?) async throws -> Customer
}
