import ConveyorCore
import ConveyorServer
import ConveyorTestSupport
import ConveyorWorker
import Foundation
import Logging
import Synchronization
import Testing

/// The dashboard in a real headless Chromium against a live server and a running worker: what an
/// operator and a customer do, by mouse and by keyboard, on a desktop and on a phone. With
/// CONVEYOR_SCREENSHOTS set to a folder, it also saves a screenshot of each main page there
/// (`scripts/screenshots` makes the README's).
@Suite("Dashboard in a browser", .serialized, .enabled(if: Browser.available, "needs chromium and chromium-driver"))
struct DashboardBrowserTests {
    @Test(
        "an operator signs in, sees jobs arrive, replays a dead job, pauses a queue; another customer sees none of it")
    func operatorAndCustomer() async throws {
        let server = try await ServerHarness.start(
            .sqlite, health: HealthConfiguration(version: "test", leaderRole: "stale-job-rescuer"),
            dashboard: .init(refreshInterval: .milliseconds(500)))
        let browser = try await Browser.launch()
        let ran = RanJobs()
        var handlers = JobHandlers()
        handlers.registerFallback { context in ran.insert(context.job.id) }
        var logger = Logger(label: "browser-test-worker")
        logger.logLevel = .error
        let worker = try WorkerService(
            store: server.store, handlers: handlers,
            configuration: WorkerConfiguration(queues: ["mail": 2], pollInterval: .milliseconds(100), logger: logger))
        let working = Task { try await worker.run() }
        defer { working.cancel() }
        do {
            try await scenario(server, browser, ran: ran)
        } catch {
            await browser.quit()
            working.cancel()
            _ = try? await working.value
            await server.stop()
            throw error
        }
        await browser.quit()
        working.cancel()
        _ = try? await working.value
        await server.stop()
    }

    func url(_ server: ServerHarness, _ path: String) -> URL { URL(string: path, relativeTo: server.baseURL)! }

    func scenario(_ server: ServerHarness, _ browser: Browser, ran: RanJobs) async throws {
        var logger = Logger(label: "browser-test-worker")
        logger.logLevel = .error
        // Not signed in: sent to sign in. By keyboard: the key, then Enter.
        try await browser.open(url(server, "/queues"))
        #expect(try await browser.currentURL().hasSuffix("/sign-in"))
        try await browser.type("#key", "cvk_" + String(repeating: "x", count: 32) + Browser.enter)
        try await browser.waitForText(".notice", "That key is unknown or revoked.")
        try await browser.type("#key", server.adminKey + Browser.enter)
        try await browser.waitForText("h1", "Overview")
        #expect(["pass", "warn", "fail"].contains(try await browser.text("[data-test='health']")))

        // A job enqueued through the API shows up on the open queues page, without a reload.
        try await browser.click("nav a[href='/queues']")
        try await browser.waitForText("h1", "Queues")
        _ = try await browser.evaluate("window.conveyorTestMarker = 'same page'; return true;")
        let sent = try await server.send(
            "POST", "/api/queue/acme", key: server.acmeKey,
            json: #"{"queue":"reports","type":"report.build","payload":{"html":"<script>alert(1)</script>"}}"#)
        #expect(sent.status == 201)
        let id = try #require(sent.json["id"] as? String)
        let waiting = "tr[data-queue='reports'][data-customer='acme'] td[data-test='waiting']"
        try await poll("the new job to appear on the open page") {
            guard try await browser.count(waiting) == 1 else { return false }
            return try await browser.text(waiting) == "1"
        }
        #expect(try await browser.evaluate("return window.conveyorTestMarker;") as? String == "same page")
        try await save(browser, "queues")

        // The open jobs list follows the jobs' events: claimed over the API, the job's row says
        // running, attempt 1; a new job of the list's queue is announced. Nothing is reloaded.
        try await browser.click("nav a[href='/jobs']")
        try await browser.waitForText("h1", "Jobs")
        try await save(browser, "jobs")
        _ = try await browser.evaluate("window.conveyorTestMarker = 'jobs list'; return true;")
        #expect(try await browser.text("[data-test='new-jobs']") == "", "hidden until a job arrives")
        let claimed = try await server.send(
            "POST", "/api/workers/claim", key: server.acmeKey, json: #"{"queues":["reports"]}"#)
        let token = try #require((claimed.json["jobs"] as? [[String: Any]])?.first?["lease_token"] as? String)
        try await browser.waitForText("tr[data-job='\(id)'] [data-test='state']", "running")
        #expect(try await browser.text("tr[data-job='\(id)'] [data-test='attempt']") == "1")
        let another = try await server.send(
            "POST", "/api/queue/acme", key: server.acmeKey,
            json: #"{"queue":"reports","type":"report.build","payload":{}}"#)
        #expect(another.status == 201)
        try await browser.waitForText("[data-test='new-jobs']", "New jobs have arrived. Show them")
        #expect(try await browser.evaluate("return window.conveyorTestMarker;") as? String == "jobs list")

        // Its page: the payload as text, no script run.
        try await browser.click("tr[data-job='\(id)'] a")
        try await browser.waitForText("[data-test='job-id']", id)
        #expect(try await browser.text("[data-test='payload']").contains("<script>alert(1)</script>"))
        #expect(try await browser.count("script:not([src])") == 0)

        // The open job page follows the job's events: completed over the API, it shows the
        // result without a reload.
        _ = try await browser.evaluate("window.conveyorTestMarker = 'job page'; return true;")
        _ = try await server.send(
            "POST", "/api/jobs/\(id)/complete", key: server.acmeKey,
            json: #"{"lease_token":"\#(token)","result":{"url":"/r/<b>1</b>"}}"#)
        try await browser.waitForText("[data-test='state']", "completed")
        #expect(try await browser.text("[data-test='result']").contains("/r/<b>1</b>"))
        #expect(try await browser.evaluate("return window.conveyorTestMarker;") as? String == "job page")

        // A dead job replayed from its page runs on the worker.
        let failing = try await server.store.enqueue(
            NewJob(customer: "acme", queue: "mail", type: "email.send", payloadJSON: "{}", maxAttempts: 1)
        ).job
        try await poll("the worker to take the job") { ran.contains(failing.id) }
        // Make it dead as a failed last attempt would (the worker's handler succeeds).
        let dead = try await deadJob(server.store, customer: "acme", queue: "dead-end")
        try await browser.open(url(server, "/dead-letters"))
        #expect(try await browser.count("tr[data-job='\(dead.id)']") == 1)
        try await save(browser, "dead-letters")
        try await browser.open(url(server, "/jobs/\(dead.id)"))
        #expect(try await browser.text("[data-test='state']") == "dead")
        // Replay sends it back to its queue; a worker on that queue runs it.
        try await browser.click("form[action='/jobs/\(dead.id)/retry'] button")
        try await browser.waitForText("[data-test='state']", "available")
        let replayWorker = try WorkerService(
            store: server.store,
            handlers: {
                var handlers = JobHandlers()
                handlers.registerFallback { context in ran.insert(context.job.id) }
                return handlers
            }(),
            configuration: WorkerConfiguration(
                queues: ["dead-end": 1], pollInterval: .milliseconds(100), logger: logger))
        let replaying = Task { try await replayWorker.run() }
        defer { replaying.cancel() }
        try await poll("the replayed job to run") { ran.contains(dead.id) }
        try await poll("its page to say completed") {
            try await browser.open(url(server, "/jobs/\(dead.id)"))
            return try await browser.text("[data-test='state']") == "completed"
        }

        // Pausing a queue by keyboard: claims stop; resuming: they go on. (The queues page lists
        // the queues with live jobs: acme's mail has one due in an hour.)
        _ = try await server.store.enqueue(
            NewJob(
                customer: "acme", queue: "mail", type: "email.send", payloadJSON: "{}", start: .after(.seconds(3600))))
        try await browser.open(url(server, "/queues"))
        let pause = "tr[data-queue='mail'][data-customer='acme'] form[action='/queues/pause'] button"
        try await poll("acme's mail row") { try await browser.count(pause) == 1 }
        // Tab through the page, as a keyboard user does, until the row's Pause button has focus.
        var tabs = 0
        while try await browser.evaluate("return document.activeElement.matches(\"\(pause)\");") as? Bool != true {
            tabs += 1
            try #require(tabs <= 100, "the Pause button is not reachable with Tab")
            try await browser.press(Browser.tab)
        }
        try await browser.press(Browser.enter)
        try await poll("the row to say paused") {
            try await browser.count("tr[data-queue='mail'][data-customer='acme'] [data-test='paused']") == 1
        }
        let held = try await server.store.enqueue(
            NewJob(customer: "acme", queue: "mail", type: "email.send", payloadJSON: "{}")
        ).job
        #expect(try await server.store.claim(ClaimRequest(queues: ["mail"], limit: 10, lease: .seconds(30))).isEmpty)
        #expect(!ran.contains(held.id))
        try await browser.click("tr[data-queue='mail'][data-customer='acme'] form[action='/queues/resume'] button")
        try await poll("the worker to run the held job once resumed") { ran.contains(held.id) }

        if let folder = ProcessInfo.processInfo.environment["CONVEYOR_SCREENSHOTS"], !folder.isEmpty {
            try await browser.open(url(server, "/"))
            try await save(browser, "overview")
            try await browser.open(url(server, "/workers"))
            try await save(browser, "workers")
            try await browser.open(url(server, "/customers"))
            try await save(browser, "customers")
        }

        // On a phone: the page fits the screen (tables scroll inside their box), the menu is there.
        try await browser.resize(width: 390, height: 844)
        for path in ["/", "/queues", "/jobs", "/jobs/\(id)", "/dead-letters"] {
            try await browser.open(url(server, path))
            let width = try await browser.evaluate("return document.documentElement.scrollWidth;") as? Int ?? 0
            let viewport = try await browser.evaluate("return window.innerWidth;") as? Int ?? 0
            #expect(width <= viewport, "\(path) is \(width) px wide on a \(viewport) px screen")
            #expect(try await browser.count("nav a[href='/jobs']") == 1)
        }
        try await browser.open(url(server, "/queues"))
        try await save(browser, "phone-queues")
        try await browser.resize(width: 1280, height: 900)

        // Signed out, then in as another customer: none of acme's work.
        try await browser.click(".sign-out button")
        try await browser.waitForURL(endingIn: "/sign-in")
        try await browser.type("#key", server.globexKey + Browser.enter)
        try await browser.waitForText("h1", "Overview")
        try await browser.open(url(server, "/jobs"))
        #expect(try await browser.count("tr[data-job]") == 0)
        try await browser.open(url(server, "/queues"))
        #expect(try await browser.count("tr[data-customer='acme']") == 0)
        try await browser.open(url(server, "/jobs/\(id)"))
        #expect(try await browser.text("h1") == "Not Found")
        #expect(try await browser.count("nav a[href='/customers']") == 0)
    }

    /// A dead job: claimed and failed for good, as a handler's non-retryable error leaves it.
    func deadJob(_ store: any JobStore, customer: String, queue: String) async throws -> Job {
        let job = try await store.enqueue(
            NewJob(customer: customer, queue: queue, type: "email.send", payloadJSON: #"{"to":"a@example.com"}"#)
        ).job
        let claimed = try #require(
            try await store.claim(ClaimRequest(queues: [queue], limit: 1, lease: .seconds(30))).first)
        #expect(claimed.id == job.id)
        return try await store.fail(try #require(claimed.lease), message: "550 mailbox unavailable", retryable: false)
    }

    /// Saves a screenshot as `name`.png in CONVEYOR_SCREENSHOTS, when it is set.
    func save(_ browser: Browser, _ name: String) async throws {
        guard let folder = ProcessInfo.processInfo.environment["CONVEYOR_SCREENSHOTS"], !folder.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try await browser.screenshot().write(to: URL(fileURLWithPath: folder).appendingPathComponent("\(name).png"))
    }
}

/// RanJobs is what the test's workers ran.
final class RanJobs: Sendable {
    private let ids = Mutex<Set<JobID>>([])
    func insert(_ id: JobID) { _ = ids.withLock { $0.insert(id) } }
    func contains(_ id: JobID) -> Bool { ids.withLock { $0.contains(id) } }
}
