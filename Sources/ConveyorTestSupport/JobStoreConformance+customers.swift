import ConveyorCore
import Testing

extension JobStoreConformance {
    static let customerChecks: [StoreConformanceCheck] = [
        .init("customers are created once and listed by name; a bad name is refused") { h in
            let globex = try await h.store.createCustomer("globex")
            let acme = try await h.store.createCustomer("acme")
            #expect(acme.name == "acme")
            #expect(acme.createdAt == h.clock.now().truncatedToMilliseconds)
            #expect(try await h.store.customers() == [acme, globex])
            #expect(try await h.store.customer(named: "acme") == acme)
            #expect(try await h.store.customer(named: "initech") == nil)
            await expectStoreError(.customerExists(name: "acme")) { try await h.store.createCustomer("acme") }
            await #expect(throws: ValidationError.self) { try await h.store.createCustomer("Not A Name") }
            #expect(try await h.store.customers().count == 2)
        },
        .init("an API key is kept as its hash, found by its prefix, accepts only its secret, and stays revoked") { h in
            _ = try await h.store.createCustomer("acme")
            _ = try await h.store.createCustomer("globex")
            let (newKey, secret) = APIKeySecret.generate(customer: "acme")
            let key = try await h.store.createAPIKey(newKey)
            #expect(key.customer == "acme")
            #expect(key.secretHash != secret)
            #expect(!key.secretHash.contains(secret.dropFirst(APIKeySecret.prefixLength)))
            let prefix = try #require(APIKeySecret.lookupPrefix(of: secret))
            let found = try #require(try await h.store.apiKey(prefix: prefix))
            #expect(found == key)
            #expect(found.accepts(secret))
            #expect(!found.accepts(APIKeySecret.generate(customer: "acme").secret))

            let admin = try await h.store.createAPIKey(APIKeySecret.generate(customer: nil).key)
            let globexKey = try await h.store.createAPIKey(APIKeySecret.generate(customer: "globex").key)
            #expect(admin.isAdmin)
            #expect(
                try await h.store.apiKeys(customer: nil).map(\.id).sorted()
                    == [key.id, admin.id, globexKey.id].sorted())
            #expect(try await h.store.apiKeys(customer: "acme").map(\.id) == [key.id])
            await expectStoreError(.customerNotFound(name: "initech")) {
                try await h.store.createAPIKey(APIKeySecret.generate(customer: "initech").key)
            }

            let revoked = try await h.store.revokeAPIKey(id: key.id)
            #expect(revoked.isRevoked)
            #expect(!revoked.accepts(secret))
            h.clock.advance(by: .seconds(5))
            #expect(
                try await h.store.revokeAPIKey(id: key.id).revokedAt == revoked.revokedAt,
                "revoking again changes nothing")
            #expect(try await h.store.apiKey(prefix: key.prefix)?.isRevoked == true)
            await expectStoreError(.apiKeyNotFound(id: "key_missing")) {
                try await h.store.revokeAPIKey(id: "key_missing")
            }
        },
    ]
}
