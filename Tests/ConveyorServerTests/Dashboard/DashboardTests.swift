import ConveyorCore
import ConveyorServer
import ConveyorTestSupport
import Foundation
import Testing

/// The dashboard over real HTTP: signing in and out, the session cookie, CSRF and the content
/// policy, markup in payloads and errors shown as text, and who sees and changes what.
@Suite("Dashboard")
struct DashboardTests {
    /// A server with the dashboard, and a client signed in with `key` (nil: not signed in).
    func withDashboard(
        _ engine: Engine, configuration: DashboardConfiguration = .init(), clock: any WallClock = SystemClock(),
        _ body: (ServerHarness, DashboardClient) async throws -> Void
    ) async throws {
        let server = try await ServerHarness.start(engine, clock: clock, dashboard: configuration)
        do {
            try await body(server, DashboardClient(server.baseURL))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    func enqueue(
        _ server: ServerHarness, _ customer: String, queue: String = "mail", payload: String = #"{"n":1}"#
    )
        async throws -> Job
    {
        try await server.store.enqueue(
            NewJob(customer: customer, queue: queue, type: "email.send", payloadJSON: payload, maxAttempts: 1)
        ).job
    }

    /// A dead job of `customer`, its one attempt failed with `message`.
    func deadJob(_ server: ServerHarness, _ customer: String, message: String = "smtp down") async throws -> Job {
        let job = try await enqueue(server, customer, queue: "dead-\(customer)")
        let claimed = try #require(
            try await server.store.claim(ClaimRequest(queues: [job.queue], limit: 1, lease: .seconds(30))).first)
        return try await server.store.fail(try #require(claimed.lease), message: message, retryable: false)
    }

    @Test("a browser not signed in is sent to sign in; a wrong key is refused; a right one gets a session cookie")
    func signingIn() async throws {
        try await withDashboard(.sqlite) { server, browser in
            for path in ["/", "/queues", "/jobs", "/dead-letters", "/live/overview"] {
                let page = try await browser.get(path)
                #expect(page.status == 303, "\(path)")
                #expect(page.header("Location") == "/sign-in", "\(path)")
            }
            let form = try await browser.get("/sign-in")
            #expect(form.status == 200)
            #expect(form.html.contains(#"name="key""#))
            let wrong = try await browser.signIn("cvk_" + String(repeating: "A", count: 32))
            #expect(wrong.status == 401)
            #expect(wrong.html.contains("unknown or revoked"))
            #expect(browser.sessionCookie == nil)

            let signedIn = try await browser.signIn(server.adminKey)
            #expect(signedIn.status == 303)
            #expect(signedIn.header("Location") == "/")
            let cookie = try #require(signedIn.header("Set-Cookie"))
            #expect(cookie.hasPrefix("conveyor_session="))
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
                #expect(cookie.contains(attribute), "\(attribute) in \(cookie)")
            }
            #expect(!cookie.contains("Secure"), "plain HTTP without DASHBOARD_SECURE_COOKIE")
            // The cookie holds no part of the key.
            #expect(!cookie.contains(server.adminKey.prefix(12)))
            let overview = try await browser.get("/")
            #expect(overview.status == 200)
            #expect(overview.html.contains("Overview"))
        }
    }

    @Test("over HTTPS the cookie is Secure and __Host- prefixed, and it signs the browser in")
    func secureCookie() async throws {
        try await withDashboard(.sqlite, configuration: .init(secureCookie: true)) { server, browser in
            let cookie = try #require(try await browser.signIn(server.adminKey).header("Set-Cookie"))
            #expect(cookie.hasPrefix("__Host-conveyor_session=") && cookie.contains("Secure"))
            #expect(try await browser.get("/").status == 200)
        }
    }

    @Test("sign-in attempts spend the client address's request quota, counted from a trusted proxy's X-Forwarded-For")
    func signInLimited() async throws {
        let limits = RateLimiter.Configuration(
            policy: try RateLimitPolicy(requests: 3, windowSeconds: 3600), storeTimeout: .seconds(30),
            trustedProxies: try TrustedProxies(parsing: "127.0.0.1"))
        let server = try await ServerHarness.start(.sqlite, rateLimits: limits, dashboard: .init())
        do {
            let browser = DashboardClient(server.baseURL)
            let wrong = "cvk_" + String(repeating: "B", count: 32)
            var statuses: [Int] = []
            for _ in 0..<4 {
                statuses.append(try await browser.signIn(wrong, headers: ["X-Forwarded-For": "198.51.100.7"]).status)
            }
            #expect(statuses == [401, 401, 401, 429])
            let right = try await browser.signIn(server.adminKey, headers: ["X-Forwarded-For": "198.51.100.7"])
            #expect(right.status == 429, "the address's quota is spent, whatever the key")
            let elsewhere = try await browser.signIn(server.adminKey, headers: ["X-Forwarded-For": "198.51.100.8"])
            #expect(elsewhere.status == 303, "another client address has its own")
            // A made-up session cookie costs a lookup: it spends the address's quota too.
            let guesser = DashboardClient(server.baseURL)
            guesser.use(cookie: "conveyor_session=made-up-token")
            var guesses: [Int] = []
            for _ in 0..<4 { guesses.append(try await guesser.get("/").status) }
            #expect(guesses == [303, 303, 303, 429], "three a window, as for sign-ins")
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test("a trusted proxy saying X-Forwarded-Proto: https makes the cookie Secure; anyone else saying so does not")
    func forwardedProto() async throws {
        for (proxies, secure) in [("127.0.0.1", true), ("10.0.0.0/8", false)] {
            let server = try await ServerHarness.start(
                .sqlite, rateLimits: .init(trustedProxies: try TrustedProxies(parsing: proxies)), dashboard: .init())
            do {
                let signedIn = try await DashboardClient(server.baseURL).signIn(
                    server.adminKey, headers: ["X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"])
                #expect(signedIn.status == 303)
                let cookie = signedIn.header("Set-Cookie") ?? ""
                #expect(cookie.contains("Secure") == secure, "\(proxies): \(cookie)")
                #expect(cookie.hasPrefix("__Host-") == secure)
            } catch {
                Issue.record(error)
            }
            await server.stop()
        }
    }

    @Test("every page has a strict content policy and no inline script, style or event handler")
    func contentPolicy() async throws {
        try await withDashboard(.sqlite) { server, browser in
            let job = try await deadJob(server, "acme")
            try await browser.signIn(server.adminKey)
            for path in [
                "/", "/queues", "/jobs", "/jobs/\(job.id)", "/dead-letters", "/workers", "/customers", "/live/overview",
                "/live/queues", "/live/workers", "/sign-in",
            ] {
                let page = try await browser.get(path)
                #expect(page.status == 200 || page.status == 303, "\(path): \(page.status)")
                let policy = try #require(page.header("Content-Security-Policy"), "\(path)")
                #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(page.header("X-Frame-Options") == "DENY")
                #expect(page.header("X-Content-Type-Options") == "nosniff")
                for inline in ["<script>", " style=\"", " onclick=", " onload=", " onerror=", "javascript:"] {
                    #expect(!page.html.contains(inline), "\(path) holds \(inline)")
                }
            }
        }
    }

    @Test(
        "a payload or an error holding markup is shown as text, and the payload as it was sent",
        arguments: Engine.available)
    func markupIsText(_ engine: Engine) async throws {
        try await withDashboard(engine) { server, browser in
            let hostile = #"<script>alert(1)</script>"#
            let breakout = #""><img src=x onerror=alert(1)>"#
            let payload =
                #"{"to":"\u003c","html":"\#(hostile)","n":1.50,"n":2,"q":"\#(breakout.replacingOccurrences(of: "\"", with: "\\\""))"}"#
            let job = try await enqueue(server, "acme", payload: payload)
            let claimed = try #require(
                try await server.store.claim(ClaimRequest(queues: ["mail"], limit: 1, lease: .seconds(30))).first)
            _ = try await server.store.fail(
                try #require(claimed.lease), message: "failed: \(breakout) \(hostile)", retryable: false)
            try await browser.signIn(server.adminKey)
            for path in ["/jobs/\(job.id)", "/jobs", "/dead-letters", "/dead-letters?error=img"] {
                let page = try await browser.get(path)
                #expect(page.status == 200)
                #expect(!page.html.contains("<script>alert"), "\(path)")
                #expect(!page.html.contains("<img"), "\(path)")
                #expect(page.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path)")
            }
            let detail = try await browser.get("/jobs/\(job.id)")
            // Numbers, escapes and a repeated name as sent, only laid out on lines.
            #expect(detail.html.contains(#"&quot;n&quot;: 1.50,"#))
            #expect(detail.html.contains(#"&quot;n&quot;: 2,"#))
            #expect(detail.html.contains(#"&quot;\u003c&quot;"#))
        }
    }

    @Test(
        "an action without the session's CSRF token, or from another site, changes nothing", arguments: Engine.available
    )
    func csrf(_ engine: Engine) async throws {
        try await withDashboard(engine) { server, browser in
            _ = try await enqueue(server, "acme")
            try await browser.signIn(server.adminKey)
            let token = try #require(try await browser.get("/queues").csrf)
            let target = [("queue", "mail"), ("customer", "acme")]
            #expect(try await browser.post("/queues/pause", target).status == 403)
            #expect(try await browser.post("/queues/pause", target + [("csrf", "not-the-token")]).status == 403)
            #expect(
                try await browser.post("/queues/pause", target + [("csrf", token)], origin: "http://evil.example")
                    .status
                    == 403)
            #expect(try await server.store.pauses().isEmpty)
            let done = try await browser.post(
                "/queues/pause", target + [("csrf", token)], origin: server.baseURL.absoluteString)
            #expect(done.status == 303)
            #expect(try await server.store.pauses().map(\.queue) == ["mail"])
            // The live region shows it by the next reading (at most a second old).
            try await poll("the queues page to show the pause") {
                try await browser.get("/live/queues").html.contains(#"data-test="paused""#)
            }
        }
    }

    @Test("a job's progress and result are shown on its page as text, as they were sent", arguments: Engine.available)
    func outcomeIsText(_ engine: Engine) async throws {
        try await withDashboard(engine) { server, browser in
            let job = try await enqueue(server, "acme", payload: "{}")
            let claimed = try #require(
                try await server.store.claim(ClaimRequest(queues: ["mail"], limit: 1, lease: .seconds(30))).first)
            let lease = try #require(claimed.lease)
            _ = try await server.store.recordProgress(
                lease, try JobPayload(json: #"{"step":"<b>render</b>","percent":40.0}"#))
            try await browser.signIn(server.adminKey)
            let running = try await browser.get("/jobs/\(job.id)")
            #expect(running.html.contains(#"data-test="progress""#))
            #expect(running.html.contains(#"&quot;step&quot;: &quot;&lt;b&gt;render&lt;/b&gt;&quot;"#))
            #expect(running.html.contains(#"&quot;percent&quot;: 40.0"#))
            #expect(!running.html.contains(#"data-test="result""#))
            _ = try await server.store.complete(
                Completion(lease, result: try JobPayload(json: #"{"url":"<script>alert(1)</script>","n":1.50}"#)))
            let done = try await browser.get("/jobs/\(job.id)")
            #expect(!done.html.contains("<script>alert"))
            #expect(done.html.contains(#"&quot;url&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;"#))
            #expect(done.html.contains(#"&quot;n&quot;: 1.50"#))
        }
    }

    @Test("signing out ends the session on the server, and revoking its key ends it too")
    func signingOut() async throws {
        try await withDashboard(.sqlite) { server, browser in
            try await browser.signIn(server.adminKey)
            let cookie = browser.sessionCookie
            let token = try #require(try await browser.get("/").csrf)
            let out = try await browser.post("/sign-out", [("csrf", token)])
            #expect(out.status == 303)
            #expect(out.header("Location") == "/sign-in")
            #expect(out.header("Set-Cookie")?.contains("Max-Age=0") == true)
            // The browser dropping the cookie is not what ends it: the old cookie is dead too.
            browser.use(cookie: cookie)
            #expect(try await browser.get("/").status == 303)

            let (key, secret) = APIKeySecret.generate(customer: "acme")
            _ = try await server.store.createAPIKey(key)
            try await browser.signIn(secret)
            #expect(try await browser.get("/").status == 200)
            _ = try await server.store.revokeAPIKey(id: key.id)
            #expect(try await browser.get("/").status == 303)
        }
    }

    @Test(
        "a customer's session sees and acts on its own jobs, queues and dead letters only", arguments: Engine.available)
    func tenancy(_ engine: Engine) async throws {
        try await withDashboard(engine) { server, browser in
            let own = try await enqueue(server, "acme")
            let other = try await enqueue(server, "globex", queue: "globex-only")
            let ownDead = try await deadJob(server, "acme")
            let otherDead = try await deadJob(server, "globex")
            try await browser.signIn(server.acmeKey)
            let token = try #require(try await browser.get("/").csrf)

            for path in [
                "/jobs", "/jobs?customer=globex", "/dead-letters", "/dead-letters?customer=globex", "/live/queues",
                "/queues",
            ] {
                let page = try await browser.get(path)
                #expect(page.status == 200, "\(path)")
                #expect(
                    !page.html.contains(other.id.description) && !page.html.contains(otherDead.id.description),
                    "\(path)")
                #expect(!page.html.contains("globex"), "\(path)")
            }
            #expect(try await browser.get("/jobs").html.contains(own.id.description))
            #expect(try await browser.get("/dead-letters").html.contains(ownDead.id.description))
            for path in ["/jobs/\(other.id)", "/jobs/\(otherDead.id)", "/customers", "/workers", "/live/workers"] {
                #expect(try await browser.get(path).status == 404, "\(path)")
            }
            #expect(try await browser.get("/jobs/\(own.id)").status == 200)
            #expect(!(try await browser.get("/").html.contains("Customers and keys")))
            // The cluster is the operator's: no health, no workers, no leader on a customer's overview.
            for path in ["/", "/live/overview"] {
                let overview = try await browser.get(path).html
                #expect(!overview.contains("live-workers") && !overview.contains(#"data-test="health""#), "\(path)")
                #expect(!overview.contains("Maintenance leader"), "\(path)")
            }

            // Actions on another customer's things are refused and change nothing.
            #expect(try await browser.post("/jobs/\(other.id)/cancel", [("csrf", token)]).status == 404)
            #expect(try await browser.post("/jobs/\(otherDead.id)/retry", [("csrf", token)]).status == 404)
            #expect(try await browser.post("/jobs/\(otherDead.id)/delete", [("csrf", token)]).status == 404)
            #expect(
                try await browser.post(
                    "/dead-letters/purge",
                    [("csrf", token), ("action", "purge-selected"), ("id", otherDead.id.description)]
                ).status == 404)
            #expect(
                try await browser.post(
                    "/queues/pause", [("csrf", token), ("queue", "globex-only"), ("customer", "globex")]
                )
                .status == 403)
            #expect(try await browser.post("/queues/pause", [("csrf", token), ("queue", "globex-only")]).status == 403)
            // Purging everything matching, with another customer named, purges only its own.
            let purged = try await browser.post(
                "/dead-letters/purge", [("csrf", token), ("action", "purge-matching"), ("customer", "globex")])
            #expect(purged.status == 303)
            #expect(purged.header("Location") == "/dead-letters?done=purged&count=1")
            #expect(try await server.store.job(id: ownDead.id) == nil)
            #expect(try await server.store.job(id: otherDead.id)?.state == .dead)
            #expect(try await server.store.job(id: other.id)?.state == .available)
            #expect(try await server.store.pauses().isEmpty)

            // Its own queue it may pause and resume.
            #expect(
                try await browser.post("/queues/pause", [("csrf", token), ("queue", "mail"), ("customer", "acme")])
                    .status == 303)
            #expect(try await server.store.pauses().map(\.customer) == ["acme"])
            #expect(
                try await browser.post("/queues/resume", [("csrf", token), ("queue", "mail"), ("customer", "acme")])
                    .status == 303)
            #expect(try await server.store.pauses().isEmpty)
        }
    }

    @Test("read-only mode shows everything and changes nothing")
    func readOnly() async throws {
        try await withDashboard(.sqlite, configuration: .init(readOnly: true)) { server, browser in
            let job = try await enqueue(server, "acme")
            let dead = try await deadJob(server, "acme")
            try await browser.signIn(server.adminKey)
            let queues = try await browser.get("/queues")
            #expect(queues.html.contains("mail"))
            #expect(!queues.html.contains("/queues/pause"))
            #expect(queues.html.contains("read-only"))
            #expect(!(try await browser.get("/jobs/\(dead.id)").html.contains("/retry")))
            #expect(!(try await browser.get("/customers").html.contains("/revoke")))
            let token = try #require(queues.csrf)
            #expect(try await browser.post("/queues/pause", [("csrf", token), ("queue", "mail")]).status == 403)
            #expect(try await browser.post("/jobs/\(job.id)/cancel", [("csrf", token)]).status == 403)
            #expect(try await browser.post("/jobs/\(dead.id)/retry", [("csrf", token)]).status == 403)
            #expect(try await server.store.pauses().isEmpty)
            #expect(try await server.store.job(id: job.id)?.state == .available)
            #expect(try await server.store.job(id: dead.id)?.state == .dead)
            // Signing out still works: it changes nothing but the session.
            #expect(try await browser.post("/sign-out", [("csrf", token)]).status == 303)
        }
    }

    @Test(
        "a bulk action by filter takes at most 1,000 dead jobs a request; the page offers the next",
        arguments: Engine.available)
    func bulkInSteps(_ engine: Engine) async throws {
        let clock = TestClock()
        try await withDashboard(engine, clock: clock) { server, browser in
            try await BatchAndDeadLetterTests.deadJobs(1001, of: "acme", queue: "bulk", in: server, clock: clock)
            try await browser.signIn(server.adminKey)
            let token = try #require(try await browser.get("/dead-letters").csrf)
            let first = try await browser.post(
                "/dead-letters/purge", [("csrf", token), ("action", "purge-matching"), ("queue", "bulk")])
            let location = try #require(first.header("Location"))
            #expect(location.contains("done=purged&count=1000") && location.contains("more="), "\(location)")
            #expect(try await server.store.deadLetterCount() == 1)
            let page = try await browser.get(location)
            #expect(page.html.contains("Purged 1000 dead jobs."))
            let start = try #require(page.html.range(of: #"class="go-on""#), "the form for the next step")
            let form = page.html[start.upperBound...].components(separatedBy: "</form>")[0]
            let fields = form.matches(of: /<input type="hidden" name="([a-z]+)" value="([^"]*)">/).map {
                (String($0.1), String($0.2))
            }
            #expect(fields.contains { $0.0 == "cursor" } && fields.contains { $0.0 == "queue" && $0.1 == "bulk" })
            let second = try await browser.post("/dead-letters/purge", fields)
            #expect(second.header("Location") == "/dead-letters?done=purged&count=1")
            #expect(try await server.store.deadLetterCount() == 0)
        }
    }

    @Test("bulk dead-letter actions say how many jobs they will touch, then do it", arguments: Engine.available)
    func bulkDeadLetters(_ engine: Engine) async throws {
        try await withDashboard(engine) { server, browser in
            var dead: [Job] = []
            for message in ["smtp timeout", "smtp timeout", "bad address"] {
                dead.append(try await deadJob(server, "acme", message: message))
            }
            let globex = try await deadJob(server, "globex", message: "smtp timeout")
            try await browser.signIn(server.adminKey)
            let token = try #require(try await browser.get("/dead-letters").csrf)
            let confirm = try await browser.post(
                "/dead-letters/confirm",
                [
                    ("csrf", token), ("action", "replay-matching"), ("customer", "acme"), ("error", "timeout"),
                    ("pace", "10"),
                ])
            #expect(confirm.status == 200)
            #expect(confirm.html.contains("This will replay 2 dead jobs at 10 a second."))
            #expect(try await server.store.job(id: dead[0].id)?.state == .dead, "confirming changes nothing")
            let done = try await browser.post(
                "/dead-letters/replay",
                [
                    ("csrf", token), ("action", "replay-matching"), ("customer", "acme"), ("error", "timeout"),
                    ("pace", "10"),
                ])
            #expect(done.header("Location") == "/dead-letters?done=replayed&count=2")
            #expect(try await browser.get("/dead-letters?done=replayed&count=2").html.contains("Replayed 2 dead jobs."))
            for job in dead.prefix(2) { #expect(try await server.store.job(id: job.id)?.state.isFinished == false) }
            #expect(try await server.store.job(id: dead[2].id)?.state == .dead)
            #expect(try await server.store.job(id: globex.id)?.state == .dead)

            let selected = try await browser.post(
                "/dead-letters/confirm",
                [
                    ("csrf", token), ("action", "purge-selected"), ("id", dead[2].id.description),
                    ("id", globex.id.description),
                ])
            #expect(selected.html.contains("This will purge 2 dead jobs."))
            #expect(
                try await browser.post("/dead-letters/confirm", [("csrf", token), ("action", "purge-selected")]).status
                    == 422)
        }
    }

    @Test("open pages read the store at most once a second, however many poll")
    func liveReadings() async throws {
        let clock = TestClock()
        try await withDashboard(.sqlite, clock: clock) { server, browser in
            let dashboard = try #require(server.dashboard)
            try await browser.signIn(server.adminKey)
            let before = dashboard.readingsTaken
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<24 {
                    group.addTask { try await browser.get(["/live/overview", "/live/queues", "/"][index % 3]).status }
                }
                for try await status in group { #expect(status == 200) }
            }
            #expect(dashboard.readingsTaken == before + 1)
            _ = try await enqueue(server, "acme")
            #expect(!(try await browser.get("/live/queues").html.contains("mail")), "the same second: the same reading")
            // Well past the interval (and five times a reading, however slow the machine is now).
            clock.advance(by: .seconds(60))
            // The next second's first request starts a reading (and is answered from the last).
            try await poll("the next reading to show the new job") {
                try await browser.get("/live/queues").html.contains("mail")
            }
            #expect(dashboard.readingsTaken == before + 2)
        }
    }

    @Test("the overview charts the last hour's completed, failed and dead jobs", arguments: Engine.available)
    func overviewChart(_ engine: Engine) async throws {
        try await withDashboard(engine) { server, browser in
            _ = try await deadJob(server, "acme")
            let job = try await enqueue(server, "globex")
            let claimed = try #require(
                try await server.store.claim(ClaimRequest(queues: [job.queue], limit: 1, lease: .seconds(30))).first)
            _ = try await server.store.complete(try #require(claimed.lease))
            try await browser.signIn(server.adminKey)
            let overview = try await browser.get("/")
            #expect(overview.html.contains("1 completed, 1 failed, 1 dead"))
            #expect(overview.html.contains(#"<rect class="completed""#))
            try await browser.signIn(server.acmeKey)
            #expect(try await browser.get("/").html.contains("0 completed, 1 failed, 1 dead"))
        }
    }

    @Test(
        "the Webhooks page: a customer registers an endpoint, sees its secret once and only its own; a disabled one says why",
        arguments: Engine.available)
    func webhooks(_ engine: Engine) async throws {
        try await withDashboard(engine) { server, browser in
            let origin = server.baseURL.absoluteString
            _ = try await server.store.createWebhook(
                try WebhookEndpointDraft(
                    customer: "globex", url: "https://93.184.215.14/globex", events: nil, queue: nil,
                    description: nil, policy: .init()), secret: WebhookSecret.generate())
            try await browser.signIn(server.acmeKey)
            let empty = try await browser.get("/webhooks")
            #expect(empty.html.contains(#"data-test="no-webhooks""#) && !empty.html.contains("/globex"))
            let token = try #require(empty.csrf)
            let refused = try await browser.post(
                "/webhooks", [("csrf", token), ("url", "https://127.0.0.1/x")], origin: origin)
            #expect(refused.status == 422 && refused.html.contains("loopback"))
            let made = try await browser.post(
                "/webhooks",
                [("csrf", token), ("url", "https://93.184.215.14/acme"), ("events", "job.completed, job.dead")],
                origin: origin)
            #expect(made.status == 200)
            let endpoint = try #require(try await server.store.webhooks(customer: "acme").first)
            #expect(made.html.contains(endpoint.secret), "the secret, on the page that answers the registration")
            #expect(endpoint.events == [.completed, .dead])
            let page = try await browser.get("/webhooks")
            #expect(page.html.contains("https://93.184.215.14/acme") && !page.html.contains(endpoint.secret))
            #expect(!page.html.contains("/globex"), "another customer's endpoint is not shown")
            // 410 Gone disabled it: the page says so, with the attempt.
            _ = try await server.store.recordWebhookAttempt(
                WebhookAttempt(
                    endpointID: endpoint.id, jobID: JobID.generate(at: Date()), messageID: "msg_1",
                    event: "job.completed", attempt: 1, at: Date(), statusCode: 410, latencyMilliseconds: 9,
                    error: "answered 410 Gone"))
            let disabled = try await browser.get("/webhooks")
            #expect(disabled.html.contains("<strong>Disabled:</strong> the endpoint answered 410 Gone"))
            #expect(disabled.html.contains("HTTP 410"))
            let enabled = try await browser.post("/webhooks/\(endpoint.id)/enable", [("csrf", token)], origin: origin)
            #expect(enabled.status == 200 && enabled.html.contains("Endpoint \(endpoint.id) enabled."))
            #expect(try await server.store.webhook(id: endpoint.id, customer: nil).isEnabled)
            // Acting on another customer's endpoint finds nothing.
            let foreign = try #require(try await server.store.webhooks(customer: "globex").first)
            #expect(
                try await browser.post("/webhooks/\(foreign.id)/delete", [("csrf", token)], origin: origin).status
                    == 404)
            browser.forget()
            try await browser.signIn(server.adminKey)
            let all = try await browser.get("/webhooks")
            #expect(all.html.contains("/acme") && all.html.contains("/globex") && all.html.contains("Customer globex"))
        }
    }

    @Test(
        "the Schedules page: a customer's own schedules in words with their next and last run; pause, resume, run now",
        arguments: Engine.available)
    func schedules(_ engine: Engine) async throws {
        try await withDashboard(engine) { server, browser in
            let origin = server.baseURL.absoluteString
            func make(_ customer: String, _ name: String, _ cron: String, zone: String? = nil) async throws {
                _ = try await server.store.createSchedule(
                    try ScheduleDraft(
                        customer: customer, name: name, cron: cron, timezone: zone, missed: nil, queue: "reports",
                        type: "report.build", payload: JobPayload(json: "{}"), priority: nil, maxAttempts: nil))
            }
            try await make("acme", "nightly", "0 3 * * *", zone: "Europe/Berlin")
            try await make("globex", "theirs", "@hourly")
            try await browser.signIn(server.acmeKey)
            let page = try await browser.get("/schedules")
            #expect(page.html.contains("every day at 03:00, Europe/Berlin") && page.html.contains("never yet"))
            #expect(!page.html.contains("theirs"), "another customer's schedule is not shown")
            let token = try #require(page.csrf)
            let paused = try await browser.post("/schedules/acme/nightly/pause", [("csrf", token)], origin: origin)
            #expect(paused.status == 200 && paused.html.contains("<strong>paused</strong>"))
            #expect(try await server.store.schedule(customer: "acme", name: "nightly").paused)
            let resumed = try await browser.post("/schedules/acme/nightly/resume", [("csrf", token)], origin: origin)
            #expect(resumed.status == 200 && !resumed.html.contains("<strong>paused</strong>"))
            let ran = try await browser.post("/schedules/acme/nightly/run", [("csrf", token)], origin: origin)
            let job = try #require(try await server.store.schedule(customer: "acme", name: "nightly").lastTick?.jobID)
            #expect(ran.html.contains("Schedule nightly made job \(job)."))
            #expect(ran.html.contains(#"<a href="/jobs/\#(job)">available</a>"#), "the last run links its job")
            // Acting on another customer's schedule finds nothing.
            #expect(
                try await browser.post("/schedules/globex/theirs/pause", [("csrf", token)], origin: origin).status
                    == 404)
            #expect(try await server.store.schedule(customer: "globex", name: "theirs").paused == false)
            browser.forget()
            try await browser.signIn(server.adminKey)
            let all = try await browser.get("/schedules")
            #expect(all.html.contains("nightly") && all.html.contains("theirs") && all.html.contains("every hour"))
        }
    }
}
