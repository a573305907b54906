import ConveyorCore
import ConveyorServer
import Testing

@Suite("Trusted proxies and the client address")
struct TrustedProxiesTests {
    @Test("addresses and CIDR ranges of both families are parsed; anything else is refused naming the setting")
    func parsing() throws {
        let proxies = try TrustedProxies(parsing: "10.0.0.0/8, 192.0.2.1 ,fd00::/8")
        #expect(proxies.contains("10.1.2.3"))
        #expect(!proxies.contains("11.0.0.1"))
        #expect(proxies.contains("192.0.2.1") && !proxies.contains("192.0.2.2"))
        #expect(proxies.contains("fd12::1") && !proxies.contains("fe80::1"))
        #expect(!proxies.contains("not an address"))
        for bad in ["10.0.0.0/33", "example.com", "10.0.0.0/x", "::/129"] {
            #expect(throws: ValidationError.self) { try TrustedProxies(parsing: bad) }
        }
        #expect(TrustedProxies.none.client(peer: "10.0.0.1", forwardedFor: ["203.0.113.5"]) == "10.0.0.1")
    }

    @Test("behind trusted proxies the client is the nearest untrusted hop of X-Forwarded-For")
    func client() throws {
        let proxies = try TrustedProxies(parsing: "10.0.0.0/8")
        // A client-written first hop is passed over: the proxies appended the rest.
        #expect(
            proxies.client(peer: "10.0.0.2", forwardedFor: ["198.51.100.7, 203.0.113.5, 10.0.0.9"]) == "203.0.113.5")
        #expect(proxies.client(peer: "10.0.0.2", forwardedFor: ["198.51.100.7", "203.0.113.5"]) == "203.0.113.5")
        #expect(proxies.client(peer: "10.0.0.2", forwardedFor: []) == "10.0.0.2")
        #expect(proxies.client(peer: "10.0.0.2", forwardedFor: ["10.0.0.3"]) == "10.0.0.3")
        #expect(proxies.client(peer: "10.0.0.2", forwardedFor: ["garbage"]) == "10.0.0.2")
        #expect(proxies.client(peer: "203.0.113.5", forwardedFor: ["198.51.100.7"]) == "203.0.113.5")
        #expect(proxies.client(peer: nil, forwardedFor: []) == "unknown")
    }

    @Test("the environment's settings: defaults, values, and one sentence naming the bad one")
    func environment() throws {
        let defaults = try RateLimiter.Configuration(settings: Settings(environment: [:]))
        #expect(defaults.policy == .default && defaults.storeTimeout == .milliseconds(1000))
        let set = try RateLimiter.Configuration(
            settings: Settings(environment: [
                "RATE_LIMIT_REQUESTS": "500", "RATE_LIMIT_WINDOW": "30", "RATE_LIMIT_STORE_TIMEOUT_MS": "50",
            ]))
        #expect(set.policy == (try RateLimitPolicy(requests: 500, windowSeconds: 30)))
        #expect(set.storeTimeout == .milliseconds(50))
        for (name, value) in [
            ("RATE_LIMIT_REQUESTS", "0"), ("RATE_LIMIT_REQUESTS", "many"), ("RATE_LIMIT_WINDOW", "-1"),
            ("RATE_LIMIT_STORE_TIMEOUT_MS", "0"), ("TRUSTED_PROXIES", "nope"),
        ] {
            #expect {
                try RateLimiter.Configuration(settings: Settings(environment: [name: value]))
            } throws: { error in
                (error as? ValidationError)?.field == name
            }
        }
    }
}
