import ConveyorCore
import Foundation
import HTTPTypes
import Hummingbird

/// DashboardSessionAuthenticator turns the session cookie into the request's dashboard session. It
/// never answers by itself: a request without a live session reaches its route without one, and a
/// page's `DashboardContext` sends it to sign in. The store judges a session live (a revoked key's
/// sessions are not), so a revocation on any node ends it here, at its next request. A cookie that
/// names no live session spends the client address's request quota (with a rate limiter): each
/// costs a database read, and guessing tokens must be as slow as guessing keys.
struct DashboardSessionAuthenticator: RouterMiddleware {
    typealias Context = ConveyorRequestContext
    /// The cookie's name over plain HTTP; over HTTPS it is `__Host-` prefixed, which a browser
    /// accepts only from a secure origin, for the whole site, from no other subdomain.
    static let cookie = "conveyor_session"
    static let secureCookie = "__Host-" + cookie

    let sessions: DashboardSessions
    let limiter: RateLimiter?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        var context = context
        let cookies = request.cookies
        if let token = (cookies[Self.secureCookie] ?? cookies[Self.cookie])?.value {
            if let session = try await sessions.session(token: token) {
                context.dashboardSession = session
                context.sessionToken = token
                if case .customer(let customer, _) = session.caller {
                    context.logger[metadataKey: "customer"] = .string(customer)
                }
            } else if let limiter {
                let client = RateLimitKey.client(
                    address: limiter.configuration.trustedProxies.client(
                        peer: context.peerAddress, forwardedFor: request.headers[values: .xForwardedFor]))
                let decision = await limiter.decide(client)
                guard decision.allowed else { throw decision.refusal(of: client) }
            }
        }
        return try await next(request, context)
    }
}

/// DashboardActionGuard stands before every dashboard action (a POST that changes something): it
/// reads the form and lets it through only with the session's CSRF token, from the dashboard's own
/// origin, and when the session may act (not read-only). A route written in its group cannot be
/// forged by another site's page.
struct DashboardActionGuard: RouterMiddleware {
    typealias Context = ConveyorRequestContext
    /// Whether the actions behind it change what the store holds (all but signing out), which a
    /// read-only session may not.
    var changesJobs = true

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        var context = context
        guard let session = context.dashboardSession else { throw DashboardRedirect.signIn }
        try Self.refuseOtherOrigins(request)
        let body = try await request.body.collect(upTo: 64 << 10)
        let form = FormBody(String(buffer: body))
        guard let token = form["csrf"], APIKeySecret.hashesMatch(token, session.csrfToken) else {
            throw Problem.forbidden("the form's CSRF token is missing or stale: reload the page and try again")
        }
        guard session.canAct || !changesJobs else {
            throw Problem.forbidden("the dashboard is read-only (DASHBOARD_READ_ONLY): nothing can be changed from it")
        }
        context.form = form
        return try await next(request, context)
    }

    /// Refuses a form a browser says came from another site's page (`Origin` naming another
    /// host than the one the request was sent to).
    static func refuseOtherOrigins(_ request: Request) throws {
        guard let origin = request.headers[.origin], let host = request.head.authority else { return }
        let sender = URLComponents(string: origin).map { ($0.host ?? "") + ($0.port.map { ":\($0)" } ?? "") }
        if sender != host { throw Problem.forbidden("this form came from another site (\(origin))") }
    }
}

/// DashboardResponses gives every dashboard response its security headers — a strict
/// Content-Security-Policy (scripts and styles from this server only, nothing inline), no framing,
/// no sniffing, no caching — and turns errors into pages: a redirect is a 303, anything else the
/// problem `ProblemMiddleware` would answer, shown as HTML.
struct DashboardResponses: RouterMiddleware {
    typealias Context = ConveyorRequestContext
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    let pages: DashboardPages

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let redirect as DashboardRedirect {
            response = Response(status: .seeOther, headers: [.location: redirect.location])
        } catch {
            let problem = ProblemMiddleware<Context>.problem(for: error)
            if problem.statusCode >= 500 {
                context.logger.error("dashboard request failed", metadata: ["error": .string("\(error)")])
            }
            response = pages.errorPage(problem, signedIn: context.dashboardSession)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
