import ConveyorCore
import Foundation
import Hummingbird

/// Jobs: the listing by state and filters, newest first, paged with the API's cursor; a job's
/// page; and its actions — cancel, retry now and delete where the lifecycle allows them.
extension DashboardRoutes {
    /// The most jobs one listing page shows, and the most it reads looking for an error text: a
    /// page never reads more than that, however few jobs match (the next page goes on from there).
    static let pageSize = 50
    static let searchBound = 5_000

    func registerJobs(pages: RouterGroup<DashboardContext>, actions: RouterGroup<DashboardContext>) {
        pages.get("jobs") { request, context in
            let listing = try await listing(request, context, deadOnly: false)
            return self.pages.page("jobs", listing)
        }
        pages.get("jobs/:id") { _, context in self.pages.page("job", try await jobPage(context)) }
        // The job page's live region: redrawn when one of the job's events arrives.
        pages.get("live/jobs/:id") { _, context in self.pages.fragment("job-live", try await jobPage(context)) }
        actions.post("jobs/:id/cancel") { _, context in
            let job = try await visibleJob(context.parameters.get("id"), context)
            let cancelled = try await store.cancel(id: job.id)
            context.logger.info("job cancelled from the dashboard", metadata: cancelled.logMetadata)
            return Response(status: .seeOther, headers: [.location: "/jobs/\(job.id)"])
        }
        actions.post("jobs/:id/retry") { _, context in
            let job = try await visibleJob(context.parameters.get("id"), context)
            _ = try await store.replay(.ids([job.id]))
            context.logger.info("dead job replayed from the dashboard", metadata: job.logMetadata)
            return Response(status: .seeOther, headers: [.location: "/jobs/\(job.id)"])
        }
        actions.post("jobs/:id/delete") { _, context in
            let job = try await visibleJob(context.parameters.get("id"), context)
            _ = try await store.purge(.ids([job.id]))
            context.logger.info("dead job purged from the dashboard", metadata: job.logMetadata)
            return Response(status: .seeOther, headers: [.location: "/dead-letters?done=purged&count=1"])
        }
    }

    /// The job page's view of the job in the path.
    func jobPage(_ context: DashboardContext) async throws -> JobPageView {
        let job = try await visibleJob(context.parameters.get("id"), context)
        return JobPageView(
            frame: pages.frame("Job \(job.id)", context.session, current: "/jobs"), job: .init(job),
            canAct: context.session.canAct, csrf: context.session.csrfToken)
    }

    /// The filters of a listing's query string, held to the caller's own customer.
    struct ListingFilter {
        var state: JobState?
        var customer: String?
        var queue: String?
        var type: String?
        var error: String?
        var cursor: String?

        init(_ request: Request, caller: Caller, deadOnly: Bool) throws {
            let query = request.uri.queryParameters
            func text(_ name: String) -> String? {
                query[name[...]].map { String($0).trimmingCharacters(in: .whitespaces) }.flatMap {
                    $0.isEmpty ? nil : $0
                }
            }
            if deadOnly {
                state = .dead
            } else if let given = text("state") {
                guard let parsed = JobState(rawValue: given) else {
                    throw ValidationError(
                        field: "state",
                        reason: "must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                state = parsed
            }
            customer = text("customer")
            if case .customer(let own, _) = caller { customer = own }
            queue = text("queue")
            type = text("type")
            error = text("error")
            cursor = text("cursor")
        }

        var jobFilter: JobFilter {
            get throws { try JobFilter(customer: customer, queue: queue, states: state.map { [$0] }, type: type) }
        }

        var deadLetterFilter: DeadLetterFilter {
            get throws { try DeadLetterFilter(try jobFilter, errorContains: error) }
        }

        /// The query string of these filters (and a cursor), for links and hidden fields.
        func fields(includingState: Bool, isAdmin: Bool) -> [(name: String, value: String)] {
            var fields: [(String, String)] = []
            if includingState, let state { fields.append(("state", state.rawValue)) }
            if isAdmin, let customer { fields.append(("customer", customer)) }
            if let queue { fields.append(("queue", queue)) }
            if let type { fields.append(("type", type)) }
            if let error { fields.append(("error", error)) }
            return fields
        }
    }

    /// A page of the listing: with an error text, it reads at most `searchBound` jobs, matching
    /// the text in Swift (the jobs' errors are JSON the engines store as text), and the next page
    /// goes on from the last job read.
    func listing(_ request: Request, _ context: DashboardContext, deadOnly: Bool) async throws -> ListingView {
        let filter = try ListingFilter(request, caller: context.caller, deadOnly: deadOnly)
        var jobs: [Job] = []
        var next: String?
        var scanned: String?
        if let text = filter.error {
            let matching = try filter.deadLetterFilter
            var cursor = filter.cursor
            var read = 0
            var exhausted = false
            search: while jobs.count < Self.pageSize, read < Self.searchBound {
                let page = try await store.list(JobQuery(filter: try filter.jobFilter, limit: 1000, cursor: cursor))
                for job in page.jobs {
                    read += 1
                    cursor = job.id.description
                    if matching.matches(job) { jobs.append(job) }
                    if jobs.count == Self.pageSize || read == Self.searchBound { break search }
                }
                if page.nextCursor == nil {
                    exhausted = true
                    break
                }
            }
            next = exhausted ? nil : cursor
            scanned = "Searched \(read) jobs for “\(text)”."
        } else {
            let page = try await store.list(
                JobQuery(filter: try filter.jobFilter, limit: Self.pageSize, cursor: filter.cursor))
            jobs = page.jobs
            next = page.nextCursor
        }
        let path = deadOnly ? "/dead-letters" : "/jobs"
        let fields = filter.fields(includingState: !deadOnly, isAdmin: context.caller.isAdmin)
        let nextLink = next.map { cursor -> String in
            var components = URLComponents()
            components.path = path
            components.queryItems = (fields + [("cursor", cursor)]).map { URLQueryItem(name: $0.name, value: $0.value) }
            return components.string ?? path
        }
        let parameters = request.uri.queryParameters
        let notice: String? =
            if let done = parameters["done"], let count = parameters["count"].flatMap({ Int(String($0)) }),
                ["replayed", "purged"].contains(String(done))
            {
                "\(done.prefix(1).uppercased())\(done.dropFirst()) \(count) dead job\(count == 1 ? "" : "s")."
            } else { nil }
        // A replay or purge by filter that stopped at its thousand: the form for the next call.
        let goOn: ListingView.GoOn? =
            if deadOnly, context.session.canAct, let more = parameters["more"],
                let verb = parameters["verb"].map(String.init), ["replay", "purge"].contains(verb)
            {
                ListingView.GoOn(
                    verb: verb, title: verb == "replay" ? "Replay the next 1,000" : "Purge the next 1,000",
                    fields: (fields.filter { $0.name != "cursor" } + [
                        ("action", "\(verb)-matching"), ("cursor", String(more)),
                    ]
                        + (parameters["pace"].map { [("pace", String($0))] } ?? [])).map {
                            .init(name: $0.0, value: $0.1)
                        })
            } else { nil }
        return ListingView(
            frame: pages.frame(deadOnly ? "Dead letters" : "Jobs", context.session, current: path, notice: notice),
            action: path, showStates: !deadOnly,
            states: [.init(value: "", label: "any", selected: filter.state == nil)]
                + JobState.allCases.map { .init(value: $0.rawValue, label: $0.rawValue, selected: filter.state == $0) },
            isAdmin: context.caller.isAdmin,
            filter: .init(
                customer: filter.customer ?? "", queue: filter.queue ?? "", type: filter.type ?? "",
                error: filter.error ?? ""),
            bulk: deadOnly && context.session.canAct, csrf: context.session.csrfToken,
            filterFields: fields.map { .init(name: $0.name, value: $0.value) }, jobs: jobs.map(ListingView.Row.init),
            next: nextLink, scanned: scanned, goOn: goOn, events: eventsLink(filter), firstPage: filter.cursor == nil)
    }

    /// The event stream a listing follows: the session's customer's, of the listing's queue.
    private func eventsLink(_ filter: ListingFilter) -> String {
        var components = URLComponents()
        components.path = "/live/events"
        if let queue = filter.queue { components.queryItems = [URLQueryItem(name: "queue", value: queue)] }
        return components.string ?? "/live/events"
    }
}

struct ListingView: TemplateView {
    struct Option {
        let value, label: String
        let selected: Bool
    }
    struct Filter {
        let customer, queue, type, error: String
    }
    struct Field {
        let name, value: String
    }
    struct Row {
        let id, shortID, state, customer, queue, type: String
        let attempt, maxAttempts: Int
        let created, lastError: String

        init(_ job: Job) {
            id = job.id.description
            shortID = String(job.id.description.suffix(12))
            state = job.state.rawValue
            customer = job.customer
            queue = job.queue
            type = job.type
            attempt = job.attempt
            maxAttempts = job.maxAttempts
            created = DashboardTime.text(job.createdAt)
            lastError = job.errors.last.map { String($0.message.prefix(200)) } ?? ""
        }
    }
    let frame: Frame
    let action: String
    let showStates: Bool
    let states: [Option]
    let isAdmin: Bool
    let filter: Filter
    let bulk: Bool
    let csrf: String
    let filterFields: [Field]
    let jobs: [Row]
    let next: String?
    let scanned: String?
    /// When a replay or purge by filter stopped at its limit: the form that makes the next call.
    struct GoOn {
        let verb, title: String
        let fields: [Field]
    }
    let goOn: GoOn?
    /// The event stream the rows follow, and whether this is the newest page (where new jobs
    /// would show, so their arrival is announced).
    let events: String
    let firstPage: Bool
    var extras: [String: Any] { ["hasJobs": !jobs.isEmpty, "searched": !filter.error.isEmpty] }
}

struct JobPageView: TemplateView {
    struct Details: TemplateView {
        struct Failure {
            let attempt: Int
            let at, message: String
        }
        let id, state, customer, queue, type, payload, created, runAt: String
        let deadReason, finished, lease, worker, result, progress: String?
        let priority, attempt, maxAttempts, replays: Int
        let cancellable, dead: Bool
        let errors: [Failure]
        var extras: [String: Any] { ["hasErrors": !errors.isEmpty] }

        init(_ job: Job) {
            id = job.id.description
            state = job.state.rawValue
            customer = job.customer
            queue = job.queue
            type = job.type
            payload = Self.indented(job.payload)
            result = job.result.map(Self.indented)
            progress = job.progress.map(Self.indented)
            created = DashboardTime.text(job.createdAt)
            runAt = DashboardTime.text(job.runAt)
            deadReason = job.deadReason?.rawValue
            finished = job.finishedAt.map { DashboardTime.text($0) }
            lease = job.state == .running ? job.leaseExpiresAt.map { DashboardTime.text($0) } : nil
            worker = job.state == .running ? job.workerID : nil
            priority = job.priority
            attempt = job.attempt
            maxAttempts = job.maxAttempts
            replays = job.replayCount
            cancellable = job.state.target(of: .cancel) != nil
            dead = job.state == .dead
            errors = job.errors.map { Failure(attempt: $0.attempt, at: DashboardTime.text($0.at), message: $0.message) }
        }

        /// A JSON value laid out to be read (the template escapes it).
        static func indented(_ value: JobPayload) -> String {
            (try? JSONDocument(parsing: Array(value.text.utf8)).indented()) ?? value.text
        }
    }
    let frame: Frame
    let job: Details
    let canAct: Bool
    let csrf: String
}
