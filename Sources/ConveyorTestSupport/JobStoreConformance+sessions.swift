import ConveyorCore
import Testing

extension JobStoreConformance {
    static let sessionPolicy = SessionPolicy(
        lifetime: .seconds(8 * 3600), idleTimeout: .seconds(3600), maximumPerKey: 3)

    /// A key of `customer` (nil: an admin key), stored.
    static func storedKey(_ h: StoreHarness, customer: String? = "acme") async throws -> APIKey {
        if let customer, try await h.store.customer(named: customer) == nil {
            _ = try await h.store.createCustomer(customer)
        }
        return try await h.store.createAPIKey(APIKeySecret.generate(customer: customer).key)
    }

    static let sessionChecks: [StoreConformanceCheck] = [
        .init("a session is found by its token's hash, with its key, until it is closed") { h in
            let key = try await storedKey(h)
            let opened = try await h.store.openSession(
                tokenHash: "hash-1", keyID: key.id, csrfToken: "csrf-1", policy: sessionPolicy)
            #expect(opened.key == key && opened.csrfToken == "csrf-1" && opened.tokenHash == "hash-1")
            #expect(opened.openedAt == h.clock.now() && opened.expiresAt == h.clock.now().adding(.seconds(8 * 3600)))
            #expect(try await h.store.session(tokenHash: "hash-1", policy: sessionPolicy) == opened)
            #expect(try await h.store.session(tokenHash: "hash-2", policy: sessionPolicy) == nil)
            try await h.store.closeSession(tokenHash: "hash-1")
            #expect(try await h.store.session(tokenHash: "hash-1", policy: sessionPolicy) == nil)
            try await h.store.closeSession(tokenHash: "hash-1")
        },
        .init("a session ends when idle past the idle timeout, its use keeps it, and it ends at its lifetime") { h in
            let key = try await storedKey(h, customer: nil)
            _ = try await h.store.openSession(tokenHash: "used", keyID: key.id, csrfToken: "c", policy: sessionPolicy)
            _ = try await h.store.openSession(tokenHash: "idle", keyID: key.id, csrfToken: "c", policy: sessionPolicy)
            // Used every 50 minutes, "used" outlives the idle hour; "idle" does not.
            for _ in 0..<9 {
                h.clock.advance(by: .seconds(50 * 60))
                let used = try await h.store.session(tokenHash: "used", policy: sessionPolicy)
                #expect(used?.lastUsedAt == h.clock.now(), "each use past a minute is recorded")
            }
            #expect(try await h.store.session(tokenHash: "idle", policy: sessionPolicy) == nil)
            h.clock.advance(by: .seconds(30 * 60))
            #expect(
                try await h.store.session(tokenHash: "used", policy: sessionPolicy) == nil,
                "eight hours after sign-in it ends, used or not")
        },
        .init("revoking a key ends its sessions") { h in
            let key = try await storedKey(h)
            let other = try await storedKey(h)
            _ = try await h.store.openSession(tokenHash: "a", keyID: key.id, csrfToken: "c", policy: sessionPolicy)
            _ = try await h.store.openSession(tokenHash: "b", keyID: other.id, csrfToken: "c", policy: sessionPolicy)
            _ = try await h.store.revokeAPIKey(id: key.id)
            #expect(try await h.store.session(tokenHash: "a", policy: sessionPolicy) == nil)
            #expect(try await h.store.session(tokenHash: "b", policy: sessionPolicy)?.key == other)
        },
        .init("a key holds at most its policy's sessions: signing in again ends its oldest") { h in
            let key = try await storedKey(h)
            let other = try await storedKey(h, customer: "globex")
            _ = try await h.store.openSession(
                tokenHash: "other", keyID: other.id, csrfToken: "c", policy: sessionPolicy)
            for n in 1...5 {
                _ = try await h.store.openSession(
                    tokenHash: "s\(n)", keyID: key.id, csrfToken: "c", policy: sessionPolicy)
            }
            var live: [String] = []
            for hash in ["other", "s1", "s2", "s3", "s4", "s5"]
            where try await h.store.session(tokenHash: hash, policy: sessionPolicy) != nil {
                live.append(hash)
            }
            #expect(live == ["other", "s3", "s4", "s5"])
        },
    ]
}
