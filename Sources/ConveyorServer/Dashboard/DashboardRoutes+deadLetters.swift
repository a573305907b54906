import ConveyorCore
import Foundation
import Hummingbird

/// The dead-letter queue: the listing with the jobs' filters, and replay (at a pace) and purge of
/// one job, of the selected, or of every job matching the filter — each after a page that says
/// how many jobs it will touch.
extension DashboardRoutes {
    func registerDeadLetters(pages: RouterGroup<DashboardContext>, actions: RouterGroup<DashboardContext>) {
        pages.get("dead-letters") { request, context in
            self.pages.page("jobs", try await listing(request, context, deadOnly: true))
        }
        actions.post("dead-letters/confirm") { _, context in
            let form = context.form ?? FormBody("")
            let bulk = try await bulkAction(form, context)
            let count: Int
            switch bulk.selection {
            case .ids(let ids): count = ids.count
            case .matching(let filter): count = try await deadCount(filter)
            }
            return self.pages.page(
                "confirm",
                ConfirmView(
                    frame: self.pages.frame("Confirm", context.session, current: "/dead-letters"), verb: bulk.verb,
                    verbTitle: bulk.verb == "replay" ? "Replay" : "Purge", purge: bulk.verb == "purge", count: count,
                    jobsWord: count == 1 ? "job" : "jobs",
                    paceText: bulk.pace.map { "\(JSONValue.text(of: $0)) a second" },
                    csrf: context.session.csrfToken, fields: bulk.fields.map { .init(name: $0.name, value: $0.value) },
                    back: "/dead-letters"))
        }
        for verb in ["replay", "purge"] {
            actions.post(RouterPath("dead-letters/\(verb)")) { _, context in
                let form = context.form ?? FormBody("")
                let bulk = try await bulkAction(form, context, verb: verb)
                // One call of at most a thousand dead jobs a request, as over the API; when more
                // may match, the page offers the next call (the cursor, and the pace, go on).
                let batch =
                    if verb == "replay" {
                        try await store.replay(bulk.selection, perSecond: bulk.pace)
                    } else {
                        try await store.purge(bulk.selection)
                    }
                let done = verb == "replay" ? "replayed" : "purged"
                context.logger.info(
                    "dead letters \(done) from the dashboard", metadata: ["count": .stringConvertible(batch.jobs.count)]
                )
                var query = [("done", done), ("count", String(batch.jobs.count))]
                if let more = DeadLetterCursor(batch) {
                    query += bulk.fields.filter { ["customer", "queue", "type", "error", "pace"].contains($0.name) }
                    query += [("more", more.text), ("verb", verb)]
                }
                var components = URLComponents()
                components.path = "/dead-letters"
                components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
                return Response(status: .seeOther, headers: [.location: components.string ?? "/dead-letters"])
            }
        }
    }

    /// What a bulk form asks: replay or purge, of the selected ids or of the filter's matches.
    struct BulkAction {
        let verb: String
        let selection: DeadLetterSelection
        let pace: Double?
        /// The fields that say it again on the confirmation's form.
        let fields: [(name: String, value: String)]
    }

    func bulkAction(_ form: FormBody, _ context: DashboardContext, verb given: String? = nil) async throws -> BulkAction
    {
        let action = form["action"] ?? ""
        let verb = given ?? (action.hasPrefix("purge") ? "purge" : "replay")
        let pace: Double? = try form["pace"].map { text in
            guard let pace = Double(text), pace.isFinite, pace > 0, pace <= 100_000 else {
                throw ValidationError(field: "pace", reason: "must be a number of jobs a second above 0 (got \(text))")
            }
            return pace
        }
        var fields: [(String, String)] = [("action", action)]
        if let pace { fields.append(("pace", JSONValue.text(of: pace))) }
        if action.hasSuffix("selected") {
            let texts = form.all("id")
            guard !texts.isEmpty, texts.count <= 1000 else {
                throw ValidationError(field: "id", reason: "select 1 to 1000 dead jobs (got \(texts.count))")
            }
            var ids: [JobID] = []
            for text in texts {
                let job = try await visibleJob(text, context)
                guard job.state == .dead else {
                    throw JobStoreError.illegalTransition(
                        id: job.id, from: job.state, event: verb == "replay" ? .replay : .purge)
                }
                ids.append(job.id)
                fields.append(("id", text))
            }
            return BulkAction(verb: verb, selection: .ids(ids), pace: pace, fields: fields)
        }
        guard action.hasSuffix("matching") else {
            throw ValidationError(field: "action", reason: "must say what to do: replay or purge, selected or matching")
        }
        var customer = form["customer"]
        if case .customer(let own, _) = context.caller { customer = own }
        // Where the last call by this filter stopped, when the page's "go on" form sent it.
        let cursor = try form["cursor"].map(DeadLetterCursor.init(parsing:))
        let filter = try DeadLetterFilter(
            try JobFilter(customer: customer, queue: form["queue"], states: [.dead], type: form["type"]),
            errorContains: form["error"], after: cursor?.after, turnsFrom: cursor?.turnsFrom)
        for name in ["customer", "queue", "type", "error"] {
            if let value = form[name] { fields.append((name, value)) }
        }
        return BulkAction(verb: verb, selection: .matching(filter), pace: pace, fields: fields)
    }

    /// How many dead jobs match: read in pages through the index of dead jobs — the dead-letter
    /// queue is bounded by its retention, so this is too.
    func deadCount(_ filter: DeadLetterFilter) async throws -> Int {
        var count = 0
        var cursor: String?
        repeat {
            let page = try await store.list(JobQuery(filter: filter.filter, limit: 1000, cursor: cursor))
            count += page.jobs.filter(filter.matches).count
            cursor = page.nextCursor
        } while cursor != nil
        return count
    }
}

struct ConfirmView: TemplateView {
    struct Field {
        let name, value: String
    }
    let frame: Frame
    let verb, verbTitle: String
    let purge: Bool
    let count: Int
    let jobsWord: String
    let paceText: String?
    let csrf: String
    let fields: [Field]
    let back: String
}
