import ConveyorCore
import HTTPTypes
public import Hummingbird

/// RateLimitMiddleware spends a request's quota before the routes run: the customer's for a
/// customer key, the client address's for a request without a valid key (so guessing keys is
/// limited too). Admin keys are not limited, and neither are the routes outside the `/api` group it
/// is added to (probes and metrics: orchestrators and scrapers must always get through). Every
/// limited response — errors included — carries `RateLimit-Policy` and `RateLimit`; a refusal is a
/// 429 problem with `Retry-After`.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = ConveyorRequestContext

    let limiter: RateLimiter

    public init(limiter: RateLimiter) {
        self.limiter = limiter
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let key: RateLimitKey
        switch context.caller {
        case .customer(let name, _): key = .customer(name)
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
        let headers = decision.headerFields
        guard decision.allowed else {
            var problem = Problem(
                status: .tooManyRequests, type: "quota-exceeded", title: "Too many requests",
                detail:
                    "the quota of \(decision.policy.requests) requests per \(decision.policy.windowSeconds) s is used up; "
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
    /// `RateLimit-Policy` and `RateLimit` in the IETF httpapi draft's structured-field syntax.
    var headerFields: HTTPFields {
        [
            .rateLimitPolicy: "\"default\";q=\(policy.requests);w=\(policy.windowSeconds)",
            .rateLimit: "\"default\";r=\(remaining);t=\(secondsUntilQuotaReturns)",
        ]
    }
}

extension HTTPField.Name {
    static let rateLimitPolicy = HTTPField.Name("RateLimit-Policy")!
    static let rateLimit = HTTPField.Name("RateLimit")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
