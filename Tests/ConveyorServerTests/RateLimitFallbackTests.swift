import ConveyorCore
import ConveyorPostgres
import ConveyorServer
import ConveyorTestSupport
import Foundation
import Logging
import MetricsTestKit
import Testing

/// The limiter's fallback, met for real: PostgreSQL is stopped under a running server and started
/// again. Requests without a key are used because they need no database to be authenticated — with
/// the database down, keyed requests are 503s before any limit applies.
@Suite(
    "Rate limiting: falling back to memory when PostgreSQL goes away, and back",
    .enabled(if: ThrowawayPostgres.binaries != nil, "needs scripts/test's PostgreSQL binaries"))
struct RateLimitFallbackTests {
    @Test("stopping PostgreSQL: decisions go on in memory, logged once and counted; restarting it: back to the store")
    func stopAndStart() async throws {
        let cluster = try await ThrowawayPostgres.start()
        let store = try await cluster.openStore(options: .init(maximumConnections: 4, connectTimeout: .seconds(2)))
        let log = CapturedLog()
        let metrics = TestMetrics()
        let policy = try RateLimitPolicy(requests: 5, windowSeconds: 3600)
        // A store timeout a loaded machine meets: beside the suite's process tests a decision of
        // the running store took over 300 ms and fell back before the outage. Stopped, the store
        // fails or times out alike; only the first decision of the outage waits for it.
        let configuration = RateLimiter.Configuration(
            policy: policy, storeTimeout: .seconds(3), probeInterval: .milliseconds(100))
        let server = try await ServerHarness.serve(
            store, rateLimits: configuration, keys: ("", "", ""), metrics: metrics, logger: log.logger,
            cleanup: {
                store.close()
                await cluster.remove()
            })
        do {
            let limiter = try #require(server.rateLimiter)
            func anonymous() async throws -> (status: Int, remaining: Int?) {
                let answer = try await server.send("GET", "/api/queue/acme", key: nil)
                return (answer.status, RateLimitTests.remaining(answer)?.r)
            }
            // A connection opened and the decision's statement prepared, as on a server that has
            // been answering. Another address's quota, so the counts below start full.
            _ = try await store.rateLimit(.client(address: "192.0.2.1"), policy: policy)
            // The store decides: two of five spent.
            #expect(try await anonymous() == (401, 4))
            #expect(try await anonymous() == (401, 3))
            #expect(limiter.mode == .store)

            try await cluster.stopServer()
            // This node now counts alone, from nothing: five more pass, the sixth is refused.
            var answers: [(Int, Int?)] = []
            for _ in 0..<6 { answers.append(try await anonymous()) }
            #expect(answers.map(\.0) == [401, 401, 401, 401, 401, 429])
            #expect(answers.map(\.1) == [4, 3, 2, 1, 0, 0])
            #expect(limiter.mode == .fallback)
            #expect(log.count("falls back to memory", atLeast: .warning) == 1)
            let label = "conveyor_rate_limit_decisions_total"
            #expect(try metrics.expectCounter(label, [("decision", "allowed"), ("mode", "fallback")]).totalValue == 5)
            #expect(try metrics.expectCounter(label, [("decision", "limited"), ("mode", "fallback")]).totalValue == 1)
            #expect(try metrics.expectCounter(label, [("decision", "allowed"), ("mode", "store")]).totalValue == 2)

            try await cluster.startServer()
            let deadline = ContinuousClock.now + .seconds(60)
            while limiter.mode != .store, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(limiter.mode == .store, "the limiter never went back to the store")
            #expect(log.count("back on the store") == 1)
            // As before the outage: a connection to the restarted server opened and the statement
            // prepared (another address's quota).
            _ = try await store.rateLimit(.client(address: "192.0.2.1"), policy: policy)
            // The store's own count went on where it was: two spent before the outage, one now.
            #expect(try await anonymous() == (401, 2))
            #expect(log.count("falls back to memory") == 1)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
