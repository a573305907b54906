public import ConveyorCore
import Foundation
import Hummingbird

/// DashboardRoutes are the web dashboard `conveyor serve` answers at `/`: pages drawn by the
/// server, in three router groups that decide who may reach them:
/// - *sign-in* and the assets, open to anyone (sign-in rate limited per client address);
/// - *pages* (`DashboardContext`): only with a live session, else the browser is sent to sign in;
/// - *actions* (`DashboardActionGuard`, then `DashboardContext`): POSTs that change something,
///   only with the session's CSRF token, from the dashboard's own origin, and not when read-only.
/// A customer's session sees and acts on its own customer's queues, jobs and dead letters only:
/// another customer's job is a 404, as in the API.
public struct DashboardRoutes: Sendable {
    let store: any JobStore
    let sessions: DashboardSessions
    let readings: DashboardReadings
    let pages: DashboardPages
    let health: HealthMonitor?
    let configuration: DashboardConfiguration
    let clock: any WallClock

    /// The dashboard over `store`; with `health`, the overview shows its report. Live parts read
    /// the store at most once per `readingInterval` (`conveyor bench dashboard` sets it to zero, to
    /// time every page's own reading).
    public init(
        store: any JobStore, health: HealthMonitor?, configuration: DashboardConfiguration = .init(),
        clock: any WallClock = SystemClock(), readingInterval: Duration = .seconds(1)
    ) {
        self.store = store
        self.health = health
        self.configuration = configuration
        self.clock = clock
        self.sessions = DashboardSessions(
            store: store, policy: configuration.sessionPolicy, readOnly: configuration.readOnly)
        self.readings = DashboardReadings(store: store, clock: clock, interval: readingInterval)
        self.pages = DashboardPages(refreshInterval: configuration.refreshInterval)
    }

    /// How many snapshots the live parts have read so far (at most one a second).
    public var readingsTaken: Int { readings.readingsTaken }

    /// Reads one snapshot now, as the live parts do, and says how long it took
    /// (`conveyor bench dashboard`).
    public func timeOneReading() async throws -> Duration { try await readings.timedReading() }

    /// Registers the dashboard on `router`; with a rate limiter, sign-in attempts spend the
    /// client address's request quota, so keys cannot be guessed at speed, and its trusted proxies
    /// may say a request came over HTTPS.
    func register(on router: Router<ConveyorRequestContext>, rateLimiter: RateLimiter?, events: EventStream? = nil) {
        let proxies = rateLimiter?.configuration.trustedProxies ?? .none
        let dashboard = router.group()
            .add(middleware: DashboardResponses(pages: pages))
            .add(middleware: DashboardSessionAuthenticator(sessions: sessions, limiter: rateLimiter))
        dashboard.get("assets/:name") { _, context in try DashboardAssets.response(for: context) }
        let signIn = dashboard.group()
        if let rateLimiter { signIn.add(middleware: RateLimitMiddleware(limiter: rateLimiter)) }
        signIn.get("sign-in") { _, context in
            if context.dashboardSession != nil { throw DashboardRedirect(location: "/") }
            return signInPage()
        }
        signIn.post("sign-in") { request, context in try await self.signIn(request, context, proxies: proxies) }

        let pages = dashboard.group(context: DashboardContext.self)
        let actions = dashboard.group().add(middleware: DashboardActionGuard()).group(context: DashboardContext.self)
        let signOut = dashboard.group().add(middleware: DashboardActionGuard(changesJobs: false))
            .group(context: DashboardContext.self)
        signOut.post("sign-out") { request, context in
            try await sessions.close(token: context.sessionToken)
            var response = Response(status: .seeOther, headers: [.location: "/sign-in"])
            response.setCookie(cookie(value: "", maxAge: 0, secure: isSecure(request, context.peerAddress, proxies)))
            return response
        }
        registerOverview(pages: pages)
        registerQueues(pages: pages, actions: actions)
        registerJobs(pages: pages, actions: actions)
        if let events {
            // The live regions' signal: the session's own customer's events (an admin's: all).
            pages.get("live/events") { request, context in
                try await events.response(
                    request, filter: try EventStream.filter(request, customer: context.caller.customer))
            }
        }
        registerDeadLetters(pages: pages, actions: actions)
        registerAdmin(pages: pages, actions: actions)
        registerWebhooks(pages: pages, actions: actions)
        registerSchedules(pages: pages, actions: actions)
    }

    func signInPage(notice: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        struct View { let frame: Frame }
        return pages.page("sign-in", View(frame: pages.frame("Sign in", nil, notice: notice)), status: status)
    }

    func signIn(
        _ request: Request, _ context: ConveyorRequestContext, proxies: TrustedProxies
    ) async throws -> Response {
        try DashboardActionGuard.refuseOtherOrigins(request)
        let form = FormBody(String(buffer: try await request.body.collect(upTo: 64 << 10)))
        let secret = form["key"] ?? ""
        let prefix = APIKeySecret.lookupPrefix(of: secret)
        guard let prefix, let key = try await store.apiKey(prefix: prefix),
            key.accepts(secretHash: APIKeySecret.hash(secret))
        else {
            // The key's visible prefix only, never more of what was typed: a mistyped key is
            // often a real one.
            context.logger.notice(
                "dashboard sign-in refused", metadata: ["key_prefix": .string(prefix ?? "(not a key)")])
            return signInPage(notice: "That key is unknown or revoked.", status: .unauthorized)
        }
        let (token, _) = try await sessions.open(for: key)
        context.logger.info("dashboard sign-in", metadata: ["key_id": .string(key.id)])
        var response = Response(status: .seeOther, headers: [.location: "/"])
        response.setCookie(
            cookie(
                value: token, maxAge: Int(configuration.sessionLifetime.timeInterval),
                secure: isSecure(request, context.peerAddress, proxies)))
        return response
    }

    /// Whether the request came over HTTPS: `serve` speaks it (or `DASHBOARD_SECURE_COOKIE` says
    /// so), or a trusted proxy says its client used it (the last `X-Forwarded-Proto` value, the
    /// one the nearest proxy set).
    func isSecure(_ request: Request, _ peer: String?, _ proxies: TrustedProxies) -> Bool {
        if configuration.secureCookie { return true }
        guard let peer, proxies.contains(peer), let forwarded = request.headers[.xForwardedProto] else { return false }
        let proto = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces).lowercased()
        return proto == "https"
    }

    /// The session cookie: script cannot read it, no other site's request carries it, and over
    /// HTTPS it is `Secure` and `__Host-` prefixed (sent over HTTPS only, to this host only).
    func cookie(value: String, maxAge: Int, secure: Bool) -> Cookie {
        Cookie(
            name: secure ? DashboardSessionAuthenticator.secureCookie : DashboardSessionAuthenticator.cookie,
            value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// The snapshot, held to what `caller` may see.
    func snapshot(for caller: Caller) async throws -> DashboardSnapshot {
        let snapshot = try await readings.current()
        guard case .customer(let own, _) = caller else { return snapshot }
        return DashboardSnapshot(
            takenAt: snapshot.takenAt, counts: snapshot.counts.filter { $0.customer == own },
            pauses: snapshot.pauses.filter { $0.customer == nil || $0.customer == own },
            caps: snapshot.caps.filter { $0.customer == nil || $0.customer == own },
            customers: snapshot.customers.filter { $0.name == own },
            throughput: snapshot.throughput.filter { $0.customer == own }, workers: [])
    }

    /// The job of this id if the caller may see it; otherwise 404, as if there were none.
    func visibleJob(_ text: String?, _ context: DashboardContext) async throws -> Job {
        guard let text, let id = JobID(text) else { throw Problem.notFound("there is no job \(text ?? "")") }
        return try await store.visibleJob(id: id, caller: context.caller)
    }
}

/// DashboardAssets are the dashboard's one stylesheet and one script, bundled resources.
enum DashboardAssets {
    static let files: [String: (data: Data, type: String)] = {
        var files: [String: (Data, String)] = [:]
        for (name, type) in [
            ("dashboard.css", "text/css; charset=utf-8"), ("dashboard.js", "text/javascript; charset=utf-8"),
        ] {
            let parts = name.split(separator: ".")
            if let url = Bundle.module.url(
                forResource: String(parts[0]), withExtension: String(parts[1]), subdirectory: "Assets"),
                let data = try? Data(contentsOf: url)
            {
                files[name] = (data, type)
            }
        }
        return files
    }()

    static func response(for context: ConveyorRequestContext) throws -> Response {
        guard let name = context.parameters.get("name"), let file = files[name] else {
            throw Problem.notFound("there is no asset \(context.parameters.get("name") ?? "")")
        }
        return Response(
            status: .ok, headers: [.contentType: file.type, .cacheControl: "max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
    }
}
