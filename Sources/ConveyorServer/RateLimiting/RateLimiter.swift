public import ConveyorCore
public import CoreMetrics
public import Logging
public import ServiceLifecycle
import Synchronization

/// RateLimiter decides whether a request may pass. It asks the store — one atomic statement on the
/// database's clock, so the quota is exact across every node — and when the store fails or does
/// not answer within `storeTimeout`, it falls back to an in-memory limiter of this node: it logs
/// the switch once, counts every decision by mode, and shows `mode == .fallback` (health reports
/// it). As a service it probes the store in the background while in fallback and returns to it by
/// itself, so no request waits on a store that is down; it also prunes passed windows.
public final class RateLimiter: Service, Sendable {
    public struct Configuration: Sendable {
        /// The default policy; customers may have their own.
        public var policy: RateLimitPolicy
        /// The policy of each customer's claims (`WorkerRoutes`), apart from its requests: by
        /// default 6,000 per 60 s. Heartbeats, completions and failures are never limited.
        public var workerPolicy: RateLimitPolicy
        /// How long a decision may wait for the store before the node falls back.
        public var storeTimeout: Duration
        /// How often, in fallback, the store is tried again.
        public var probeInterval: Duration
        /// How often passed windows are pruned from the store and from memory.
        public var pruneInterval: Duration
        /// Proxies whose `X-Forwarded-For` names the client.
        public var trustedProxies: TrustedProxies

        public init(
            policy: RateLimitPolicy = .default, workerPolicy: RateLimitPolicy = .defaultForWorkers,
            storeTimeout: Duration = .milliseconds(1000),
            probeInterval: Duration = .seconds(1), pruneInterval: Duration = .seconds(60),
            trustedProxies: TrustedProxies = .none
        ) {
            self.policy = policy
            self.workerPolicy = workerPolicy
            self.storeTimeout = storeTimeout
            self.probeInterval = probeInterval
            self.pruneInterval = pruneInterval
            self.trustedProxies = trustedProxies
        }

        /// The default policy `key` is decided by (a customer's own replaces it in the store).
        public func policy(for key: RateLimitKey) -> RateLimitPolicy {
            if case .worker = key { workerPolicy } else { policy }
        }

        /// The configuration the environment gives (`RATE_LIMIT_REQUESTS`, `RATE_LIMIT_WINDOW`,
        /// `WORKER_RATE_LIMIT_REQUESTS`, `WORKER_RATE_LIMIT_WINDOW`, `RATE_LIMIT_STORE_TIMEOUT_MS`,
        /// `TRUSTED_PROXIES`); what it leaves out keeps its default.
        public init(settings: Settings) throws(ValidationError) {
            self.init()
            // The policy's own rules say which quotas and windows are allowed.
            func number(_ name: String) throws(ValidationError) -> Int? {
                try settings.integer(name, in: .min ... .max)
            }
            func read(
                _ prefix: String, default given: RateLimitPolicy
            ) throws(ValidationError) -> RateLimitPolicy {
                let requests = try number("\(prefix)_REQUESTS") ?? given.requests
                let window = try number("\(prefix)_WINDOW") ?? given.windowSeconds
                do {
                    return try RateLimitPolicy(requests: requests, windowSeconds: window)
                } catch {
                    let name = error.field == "requests" ? "\(prefix)_REQUESTS" : "\(prefix)_WINDOW"
                    throw ValidationError(field: name, reason: error.reason)
                }
            }
            policy = try read("RATE_LIMIT", default: policy)
            workerPolicy = try read("WORKER_RATE_LIMIT", default: workerPolicy)
            if let timeout = try settings.integer("RATE_LIMIT_STORE_TIMEOUT_MS", in: 1...60_000) {
                storeTimeout = .milliseconds(timeout)
            }
            if let proxies = settings.text("TRUSTED_PROXIES") {
                trustedProxies = try TrustedProxies(parsing: proxies)
            }
        }
    }

    /// Where decisions are made.
    public enum Mode: String, Sendable {
        /// By the store: exact across every node.
        case store
        /// By this node's memory, because the store failed or was too slow.
        case fallback
    }

    public let configuration: Configuration
    private let store: any RateLimitStore & TenancyStore
    private let memory: InMemoryRateLimiter
    private let logger: Logger
    private let state = Mutex(Mode.store)
    /// Key lookups, made together while one is on its way.
    private let lookups = Coalescing<LookupRound, KeyLookupRequest, KeyLookup>()
    private let counters: [Mode: (allowed: Counter, limited: Counter)]

    public init(
        store: any RateLimitStore & TenancyStore, configuration: Configuration = .init(),
        clock: any WallClock = SystemClock(),
        logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.store = store
        self.configuration = configuration
        self.memory = InMemoryRateLimiter(clock: clock)
        self.logger = logger
        // One label set, declared once: the decision and where it was made.
        var counters: [Mode: (allowed: Counter, limited: Counter)] = [:]
        for mode in [Mode.store, .fallback] {
            let declared = ConveyorMetrics(factory: metrics)
            counters[mode] = (
                declared.rateLimitDecisions(decision: "allowed", mode: mode.rawValue),
                declared.rateLimitDecisions(decision: "limited", mode: mode.rawValue)
            )
        }
        self.counters = counters
    }

    /// Where decisions are made now.
    public var mode: Mode { state.withLock { $0 } }

    /// Decides one request of `key`; never fails (the fallback always answers).
    public func decide(_ key: RateLimitKey) async -> RateLimitDecision {
        let policy = configuration.policy(for: key)
        if mode == .store {
            let store = self.store
            do {
                // Given up on at the timeout whether or not the store heeds the cancellation; a
                // write given up on may still count the request, which errs toward limiting.
                let decision = try await abandoning(after: configuration.storeTimeout) {
                    try await store.rateLimit(key, policy: policy)
                }
                memory.remember(key, decidedBy: decision.policy, default: policy)
                record(decision, in: .store)
                return decision
            } catch is CancellationError {
                // The request went away; that says nothing about the store.
            } catch {
                fallBack(because: error)
            }
        }
        let decision = memory.decide(key, policy: policy)
        record(decision, in: .fallback)
        return decision
    }

    /// Finds the key with `prefix` and, in the same round trip, decides its customer's request —
    /// when the store answers in time. Otherwise (or in fallback) it only finds the key, and the
    /// caller decides with `decide(_:)`, which then answers from memory. Throws only when the key
    /// cannot be found at all. The requests that arrive while a lookup is on its way are found and
    /// decided together in the next (`Coalescing`): one round trip and one transaction for all of
    /// them, instead of one each.
    public func lookUp(prefix: String, secretHash hash: String) async throws -> KeyLookup {
        let store = self.store
        if mode == .store {
            let policy = configuration.policy
            let timeout = configuration.storeTimeout
            do {
                let lookup = try await lookups.run(.all, KeyLookupRequest(prefix: prefix, secretHash: hash)) {
                    requests in
                    try await abandoning(after: timeout) { try await store.apiKeys(requests, deciding: policy) }
                }
                if let decision = lookup.rateLimit, let customer = lookup.key?.customer {
                    memory.remember(.customer(customer), decidedBy: decision.policy, default: policy)
                    record(decision, in: .store)
                }
                return lookup
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                fallBack(because: error)
            }
        }
        return KeyLookup(key: try await store.apiKey(prefix: prefix))
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastPrune = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: self.configuration.probeInterval)
                if Task.isCancelled { break }
                let pruneDue = ContinuousClock.now - lastPrune >= self.configuration.pruneInterval
                if self.mode == .fallback || pruneDue {
                    // Pruning is also the probe: it exercises the very table decisions use.
                    await self.prune()
                    if pruneDue { lastPrune = ContinuousClock.now }
                }
            }
        }
    }

    /// Prunes passed windows from the store and from memory; in fallback, success brings the
    /// limiter back to the store.
    func prune() async {
        memory.prune()
        let store = self.store
        do {
            let forgotten = try await withDeadline(configuration.storeTimeout) { try await store.pruneRateLimits() }
            if forgotten > 0 { logger.debug("rate-limit keys pruned", metadata: ["keys": "\(forgotten)"]) }
            let recovered = state.withLock { mode in
                defer { mode = .store }
                return mode == .fallback
            }
            if recovered { logger.notice("rate limiter back on the store: decisions are exact across nodes again") }
        } catch {
            fallBack(because: error)
        }
    }

    private func fallBack(because error: any Error) {
        let switched = state.withLock { mode in
            defer { mode = .fallback }
            return mode == .store
        }
        if switched {
            logger.warning(
                "rate limiter falls back to memory: the store failed or did not answer in time; each node now limits on its own",
                metadata: ["error": "\(error)"])
        }
    }

    private func record(_ decision: RateLimitDecision, in mode: Mode) {
        guard let pair = counters[mode] else { return }
        (decision.allowed ? pair.allowed : pair.limited).increment()
    }
}

/// LookupRound names the node's one round of key lookups at a time.
private enum LookupRound: Hashable, Sendable {
    case all
}
