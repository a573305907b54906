import ConveyorCore
import Foundation
import Testing

/// Rate limiting runs on the database's own clock, which tests cannot move: these checks use real
/// time, with windows long enough that a slow machine cannot cross them by accident, and poll
/// with a deadline where a window has to pass.
extension JobStoreConformance {
    static let rateLimitChecks: [StoreConformanceCheck] = [
        .init("of 105 requests in a window exactly 100 are allowed, each telling what is left; other keys are apart") {
            h in
            // An hour's window: 105 requests one after another, beside the whole suite on two
            // cores, have taken over a minute — the default window's length — and the first then
            // left the window before the last.
            let policy = try RateLimitPolicy(requests: 100, windowSeconds: 3600)
            var decisions: [RateLimitDecision] = []
            for _ in 0..<105 {
                decisions.append(try await h.store.rateLimit(.customer("acme"), policy: policy))
            }
            #expect(decisions.prefix(100).allSatisfy { $0.allowed })
            #expect(decisions.suffix(5).allSatisfy { !$0.allowed })
            #expect(decisions.map(\.remaining) == Array((0..<100).reversed()) + [0, 0, 0, 0, 0])
            #expect(decisions.allSatisfy { $0.policy == policy })
            // The window started with the first request: quota returns within the hour, never later.
            for refused in decisions.suffix(5) { #expect((1...3600).contains(refused.secondsUntilQuotaReturns)) }
            let other = try await h.store.rateLimit(.client(address: "192.0.2.7"), policy: policy)
            #expect(other.allowed && other.remaining == 99)
        },
        .init("105 concurrent requests of one key: exactly 100 are allowed") { h in
            let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<105 {
                    group.addTask { try await h.store.rateLimit(.customer("acme"), policy: .default).allowed }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(allowed == 100)
            #expect(try await !h.store.rateLimit(.customer("acme"), policy: .default).allowed)
        },
        .init("a customer's own policy replaces the default until it is cleared") { h in
            _ = try await h.store.createCustomer("acme")
            let own = try RateLimitPolicy(requests: 2, windowSeconds: 3600)
            let customer = try await h.store.setRateLimit(customer: "acme", policy: own)
            #expect(customer.rateLimit == own)
            #expect(try await h.store.customer(named: "acme")?.rateLimit == own)
            let first = try await h.store.rateLimit(.customer("acme"), policy: .default)
            #expect(first.allowed && first.policy == own && first.remaining == 1)
            #expect(try await h.store.rateLimit(.customer("acme"), policy: .default).allowed)
            #expect(try await !h.store.rateLimit(.customer("acme"), policy: .default).allowed)
            // A client address of the same spelling is another key, under the default.
            #expect(try await h.store.rateLimit(.client(address: "acme"), policy: .default).policy == .default)

            #expect(try await h.store.setRateLimit(customer: "acme", policy: nil).rateLimit == nil)
            let cleared = try await h.store.rateLimit(.customer("acme"), policy: .default)
            #expect(cleared.allowed && cleared.policy == .default && cleared.remaining == 97)
            await expectStoreError(.customerNotFound(name: "initech")) {
                try await h.store.setRateLimit(customer: "initech", policy: own)
            }
        },
        .init(
            "a quota of a million is counted like a small one, and a quota lowered later counts what the window holds"
        ) {
            h in
            _ = try await h.store.createCustomer("acme")
            let million = try RateLimitPolicy(requests: 1_000_000, windowSeconds: 3600)
            _ = try await h.store.setRateLimit(customer: "acme", policy: million)
            for expected in (999_990..<1_000_000).reversed() {
                let decision = try await h.store.rateLimit(.customer("acme"), policy: .default)
                #expect(decision.allowed && decision.policy == million && decision.remaining == expected)
            }
            // Ten requests are in the window: a quota of ten is spent, one of eleven has one left.
            _ = try await h.store.setRateLimit(
                customer: "acme", policy: try RateLimitPolicy(requests: 10, windowSeconds: 3600))
            #expect(try await !h.store.rateLimit(.customer("acme"), policy: .default).allowed)
            _ = try await h.store.setRateLimit(
                customer: "acme", policy: try RateLimitPolicy(requests: 11, windowSeconds: 3600))
            let last = try await h.store.rateLimit(.customer("acme"), policy: .default)
            #expect(last.allowed && last.remaining == 0)
            #expect(try await !h.store.rateLimit(.customer("acme"), policy: .default).allowed)
        },
        .init("the window slides: quota returns when the oldest request leaves it, and refusals spend none") { h in
            // The refusal under a minute-long window: however loaded the machine, four decisions
            // fit in it (a three-second window once let the fourth through under the full suite).
            let minute = try RateLimitPolicy(requests: 3, windowSeconds: 60)
            for _ in 0..<3 { #expect(try await h.store.rateLimit(.customer("acme"), policy: minute).allowed) }
            let refused = try await h.store.rateLimit(.customer("acme"), policy: minute)
            #expect(!refused.allowed && (1...60).contains(refused.secondsUntilQuotaReturns))
            // The slide: decisions are made on the database's clock (so that every node agrees),
            // which no test clock reaches, so this one check lets a two-second window pass. Polled
            // every 50 ms: if refusals spent quota, it would never come back.
            let short = try RateLimitPolicy(requests: 1, windowSeconds: 2)
            #expect(try await h.store.rateLimit(.customer("globex"), policy: short).allowed)
            let deadline = ContinuousClock.now + .seconds(15)
            var back = false
            while !back, ContinuousClock.now < deadline {
                let decision = try await h.store.rateLimit(.customer("globex"), policy: short)
                back = decision.allowed
                if !back {
                    #expect((1...2).contains(decision.secondsUntilQuotaReturns))
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(back, "quota never returned after the window passed")
        },
        .init(
            "a key lookup decides its customer's request in the same step, only for the right secret of a live customer key"
        ) { h in
            _ = try await h.store.createCustomer("acme")
            let (newKey, secret) = APIKeySecret.generate(customer: "acme")
            let key = try await h.store.createAPIKey(newKey)
            let prefix = try #require(APIKeySecret.lookupPrefix(of: secret))
            let policy = try RateLimitPolicy(requests: 2, windowSeconds: 3600)
            let right = try await h.store.apiKeys(
                [KeyLookupRequest(prefix: prefix, secretHash: APIKeySecret.hash(secret))], deciding: policy)[0]
            #expect(right.key == key)
            #expect(
                right.rateLimit
                    == RateLimitDecision(allowed: true, policy: policy, remaining: 1, secondsUntilQuotaReturns: 3600))
            // A wrong secret finds the key (to refuse it) but spends nothing of the customer's quota.
            let wrong = try await h.store.apiKeys(
                [KeyLookupRequest(prefix: prefix, secretHash: APIKeySecret.hash(secret + "x"))], deciding: policy)[0]
            #expect(wrong.key == key && wrong.rateLimit == nil)
            let second = try await h.store.apiKeys(
                [KeyLookupRequest(prefix: prefix, secretHash: APIKeySecret.hash(secret))], deciding: policy)[0]
            #expect(second.rateLimit?.allowed == true && second.rateLimit?.remaining == 0)
            let third = try await h.store.apiKeys(
                [KeyLookupRequest(prefix: prefix, secretHash: APIKeySecret.hash(secret))], deciding: policy)[0]
            #expect(third.rateLimit?.allowed == false)
            // The same quota as rateLimit(_:policy:) spends: they are one window.
            #expect(try await !h.store.rateLimit(.customer("acme"), policy: policy).allowed)

            let (adminKey, adminSecret) = APIKeySecret.generate(customer: nil)
            _ = try await h.store.createAPIKey(adminKey)
            let admin = try await h.store.apiKeys(
                [KeyLookupRequest(prefix: adminKey.prefix, secretHash: APIKeySecret.hash(adminSecret))],
                deciding: policy)[0]
            #expect(admin.key?.isAdmin == true && admin.rateLimit == nil)
            _ = try await h.store.revokeAPIKey(id: key.id)
            let revoked = try await h.store.apiKeys(
                [KeyLookupRequest(prefix: prefix, secretHash: APIKeySecret.hash(secret))], deciding: policy)[0]
            #expect(revoked.key?.isRevoked == true && revoked.rateLimit == nil)
            let none = try await h.store.apiKeys(
                [KeyLookupRequest(prefix: "cvk_nothing1", secretHash: "0")], deciding: policy)[0]
            #expect(none == KeyLookup(key: nil))
        },
        .init(
            "requests looked up together are decided in turn, per customer, as many as each window has room for; a wrong secret among them spends nothing"
        ) { h in
            var requests: [String: KeyLookupRequest] = [:]
            for customer in ["acme", "globex"] {
                _ = try await h.store.createCustomer(customer)
                let (newKey, secret) = APIKeySecret.generate(customer: customer)
                _ = try await h.store.createAPIKey(newKey)
                let prefix = try #require(APIKeySecret.lookupPrefix(of: secret))
                requests[customer] = KeyLookupRequest(prefix: prefix, secretHash: APIKeySecret.hash(secret))
                requests[customer + " wrong"] = KeyLookupRequest(
                    prefix: prefix, secretHash: APIKeySecret.hash(secret + "x"))
            }
            let policy = try RateLimitPolicy(requests: 3, windowSeconds: 3600)
            let (acme, globex) = (try #require(requests["acme"]), try #require(requests["globex"]))
            let unknown = KeyLookupRequest(prefix: "cvk_nothing1", secretHash: "0")
            let batch = [acme, globex, acme, try #require(requests["acme wrong"]), unknown, acme, acme, globex]
            let found = try await h.store.apiKeys(batch, deciding: policy)
            #expect(found.count == batch.count)
            #expect(
                found.map { $0.key?.customer } == ["acme", "globex", "acme", "acme", nil, "acme", "acme", "globex"])
            #expect(found.map { $0.rateLimit?.allowed } == [true, true, true, nil, nil, true, false, true])
            #expect(found.map { $0.rateLimit?.remaining } == [2, 2, 1, nil, nil, 0, 0, 1])
            // The refused one spent nothing, and the window is the one rateLimit(_:policy:) sees.
            #expect(try await !h.store.rateLimit(.customer("acme"), policy: policy).allowed)
            #expect(try await h.store.rateLimit(.customer("globex"), policy: policy).remaining == 0)
            #expect(try await h.store.apiKeys([], deciding: policy).isEmpty)
        },
        .init("pruning forgets keys whose window has passed and keeps the others' counts") { h in
            let brief = try RateLimitPolicy(requests: 5, windowSeconds: 1)
            _ = try await h.store.rateLimit(.client(address: "192.0.2.1"), policy: brief)
            _ = try await h.store.rateLimit(.customer("acme"), policy: .default)
            _ = try await h.store.rateLimit(.customer("acme"), policy: .default)
            let deadline = ContinuousClock.now + .seconds(10)
            var forgotten = 0
            while forgotten == 0, ContinuousClock.now < deadline {
                forgotten = try await h.store.pruneRateLimits()
                if forgotten == 0 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(forgotten == 1)
            #expect(try await h.store.rateLimit(.customer("acme"), policy: .default).remaining == 97)
            #expect(try await h.store.rateLimit(.client(address: "192.0.2.1"), policy: brief).remaining == 4)
        },
    ]
}
