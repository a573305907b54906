import ConveyorCore
import HTTPTypes
public import Hummingbird
import Synchronization

/// RateLimitMiddleware spends a request's quota before the routes run: the customer's for a
/// customer key, the client address's for a request without a valid key (so guessing keys is
/// limited too). Admin keys are not limited, and neither are the routes outside the `/api` groups it
/// is added to (probes and metrics: orchestrators and scrapers must always get through). Which
/// quota a group spends is its `Scope`. Every limited response — errors included — carries
/// `RateLimit-Policy` and `RateLimit`; a refusal is a 429 problem with `Retry-After`.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = ConveyorRequestContext

    /// Which quota a router group's requests spend.
    public enum Scope: Sendable {
        /// The customer's request quota (enqueues, listings, the dead-letter queue…).
        case requests
        /// The customer's worker quota: claims, apart from its requests.
        case claims
        /// Nothing for a valid key and a lease it holds: honest heartbeats, completions and
        /// failures are bounded by the leases a worker holds. A refused one (404, 409: a made-up
        /// or stale token) spends the worker quota, and once that is used up this node answers the
        /// customer's lease calls 429 until it returns, so a storm of made-up tokens is bounded.
        /// Without a valid key, the client address's request quota.
        case leases
        /// Only a request whose key was refused (`/api/health`, `/metrics`): the client address's
        /// request quota, so keys cannot be guessed there at speed; requests without a key
        /// (load balancers, probes) and with a good key spend nothing.
        case refusedKeys
    }

    let limiter: RateLimiter
    let scope: Scope
    /// Until when each customer's lease calls are refused on this node, its worker quota used up
    /// by refused lease calls.
    private let leaseBlocks = LeaseBlocks()

    public init(limiter: RateLimiter, scope: Scope = .requests) {
        self.limiter = limiter
        self.scope = scope
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let key: RateLimitKey
        switch context.caller {
        case .customer(let name, _):
            switch scope {
            case .requests: key = .customer(name)
            case .claims: key = .worker(name)
            case .leases: return try await leaseCall(of: name, request, context, next)
            case .refusedKeys: return try await next(request, context)
            }
        case .admin: return try await next(request, context)
        case nil:
            // Only a key the store said no to: one it could not be asked about (503) is no guess.
            if scope == .refusedKeys, context.refusedKey?.statusCode != 401 { return try await next(request, context) }
            key = .client(
                address: limiter.configuration.trustedProxies.client(
                    peer: context.peerAddress, forwardedFor: request.headers[values: .xForwardedFor]))
        }
        // A customer's request was usually decided with its key lookup, in the same round trip.
        let decision: RateLimitDecision
        if let decided = context.rateLimit, key.customer != nil {
            decision = decided
        } else {
            decision = await limiter.decide(key)
        }
        let headers = decision.headerFields(quota: key.quotaName)
        guard decision.allowed else { throw decision.refusal(of: key) }
        do {
            var response = try await next(request, context)
            response.headers.append(contentsOf: headers)
            return response
        } catch {
            throw ErrorWithHeaders(error: error, headers: headers)
        }
    }
}

extension RateLimitMiddleware {
    /// A lease call of a customer's: free when its lease holds; a refusal spends the worker quota.
    private func leaseCall(
        of customer: String, _ request: Request, _ context: Context,
        _ next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let seconds = leaseBlocks.secondsLeft(customer) {
            var problem = Problem(
                status: .tooManyRequests, type: "quota-exceeded", title: "Too many requests",
                detail:
                    "refused lease calls (unknown jobs, lost or made-up lease tokens) used up the worker quota; "
                    + "retry after \(seconds) s")
            problem.headers[.retryAfter] = String(seconds)
            throw problem
        }
        do {
            return try await next(request, context)
        } catch {
            // Any refusal of the call itself (404, 409, a body that does not decode…): each cost a
            // lookup of the job. 429 is this middleware's own.
            let status = ProblemMiddleware<Context>.problem(for: error).statusCode
            guard (400..<500).contains(status), status != 429 else { throw error }
            let decision = await limiter.decide(.worker(customer))
            if !decision.allowed { leaseBlocks.block(customer, seconds: decision.secondsUntilQuotaReturns) }
            throw ErrorWithHeaders(
                error: error, headers: decision.headerFields(quota: RateLimitKey.worker(customer).quotaName))
        }
    }
}

/// LeaseBlocks are the customers whose lease calls this node refuses for a while.
private final class LeaseBlocks: Sendable {
    private let until = Mutex<[String: ContinuousClock.Instant]>([:])

    func block(_ customer: String, seconds: Int) {
        let end = ContinuousClock.now + .seconds(max(1, seconds))
        until.withLock { $0[customer] = end }
    }

    /// Whole seconds, rounded up, until `customer`'s lease calls are answered again; nil when they are.
    func secondsLeft(_ customer: String) -> Int? {
        let now = ContinuousClock.now
        return until.withLock { until in
            guard let end = until[customer] else { return nil }
            guard end > now else {
                until[customer] = nil
                return nil
            }
            let left = end - now
            return Int(left.components.seconds) + (left.components.attoseconds > 0 ? 1 : 0)
        }
    }
}

extension RateLimitKey {
    /// The quota's name in the `RateLimit` headers: `worker` for a worker quota, else `default`.
    var quotaName: String { if case .worker = self { "worker" } else { "default" } }
}

extension RateLimitDecision {
    /// The 429 problem of this refusal of `key`, with the headers and `Retry-After`.
    func refusal(of key: RateLimitKey) -> Problem {
        let what =
            if case .worker = key { "worker quota of \(policy.requests) claims" } else {
                "quota of \(policy.requests) requests"
            }
        var problem = Problem(
            status: .tooManyRequests, type: "quota-exceeded", title: "Too many requests",
            detail: "the \(what) per \(policy.windowSeconds) s is used up; retry after \(secondsUntilQuotaReturns) s")
        problem.headers = headerFields(quota: key.quotaName)
        problem.headers[.retryAfter] = String(secondsUntilQuotaReturns)
        return problem
    }

    /// `RateLimit-Policy` and `RateLimit` in the IETF httpapi draft's structured-field syntax,
    /// naming the quota (`default`, or `worker` for claims).
    func headerFields(quota: String = "default") -> HTTPFields {
        [
            .rateLimitPolicy: "\"\(quota)\";q=\(policy.requests);w=\(policy.windowSeconds)",
            .rateLimit: "\"\(quota)\";r=\(remaining);t=\(secondsUntilQuotaReturns)",
        ]
    }
}

extension HTTPField.Name {
    static let rateLimitPolicy = HTTPField.Name("RateLimit-Policy")!
    static let rateLimit = HTTPField.Name("RateLimit")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
