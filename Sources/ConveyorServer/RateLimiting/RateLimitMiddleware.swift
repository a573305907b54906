import ConveyorCore
import HTTPTypes
public import Hummingbird

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
        /// Nothing for a valid key: heartbeats, completions and failures are bounded by the
        /// leases a worker holds. Without a valid key, the client address's request quota.
        case leases
    }

    let limiter: RateLimiter
    let scope: Scope

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
            case .leases: return try await next(request, context)
            }
        case .admin: return try await next(request, context)
        case nil:
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
        let quota = if case .worker = key { "worker" } else { "default" }
        let headers = decision.headerFields(quota: quota)
        guard decision.allowed else {
            let what =
                if case .worker = key { "worker quota of \(decision.policy.requests) claims" } else {
                    "quota of \(decision.policy.requests) requests"
                }
            var problem = Problem(
                status: .tooManyRequests, type: "quota-exceeded", title: "Too many requests",
                detail:
                    "the \(what) per \(decision.policy.windowSeconds) s is used up; "
                    + "retry after \(decision.secondsUntilQuotaReturns) s")
            problem.headers = headers
            problem.headers[.retryAfter] = String(decision.secondsUntilQuotaReturns)
            throw problem
        }
        do {
            var response = try await next(request, context)
            response.headers.append(contentsOf: headers)
            return response
        } catch {
            throw ErrorWithHeaders(error: error, headers: headers)
        }
    }
}

extension RateLimitDecision {
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
