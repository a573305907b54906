import ConveyorCore
import Foundation
import Hummingbird
import Mustache

/// The overview, the queues and the workers: pages whose counts refresh by themselves, each with a
/// `/live/…` fragment drawn from the shared snapshot.
extension DashboardRoutes {
    func registerOverview(pages: RouterGroup<DashboardContext>) {
        pages.get("/") { _, context in
            let live = try await overview(context)
            return self.pages.page(
                "overview", Mirrored(frame: self.pages.frame("Overview", context.session, current: "/"), live))
        }
        pages.get("live/overview") { _, context in self.pages.fragment("overview-live", try await overview(context)) }
        pages.get("workers") { _, context in
            guard context.caller.isAdmin else { throw Problem.notFound("there is no page /workers for a customer key") }
            let live = try await workers(context)
            return self.pages.page(
                "workers", Mirrored(frame: self.pages.frame("Workers", context.session, current: "/workers"), live))
        }
        pages.get("live/workers") { _, context in
            guard context.caller.isAdmin else { throw Problem.notFound("there is no page /workers for a customer key") }
            return self.pages.fragment("workers-live", try await workers(context))
        }
    }

    func registerQueues(pages: RouterGroup<DashboardContext>, actions: RouterGroup<DashboardContext>) {
        pages.get("queues") { _, context in
            let live = try await queues(context)
            return self.pages.page(
                "queues", Mirrored(frame: self.pages.frame("Queues", context.session, current: "/queues"), live))
        }
        pages.get("live/queues") { _, context in self.pages.fragment("queues-live", try await queues(context)) }
        for (path, pausing) in [("queues/pause", true), ("queues/resume", false)] {
            actions.post(RouterPath(path)) { _, context in
                let form = context.form
                let (queue, customer) = try Pause.validTarget(queue: form?["queue"], customer: form?["customer"])
                // A customer key pauses its own queues one at a time, as over the API; a whole
                // queue or a whole customer is an admin's.
                if case .customer(let own, _) = context.caller, queue == nil || customer != own {
                    throw Problem.forbidden("a customer key pauses and resumes its own queues only")
                }
                if pausing {
                    _ = try await store.pause(queue: queue, customer: customer)
                } else {
                    _ = try await store.resume(queue: queue, customer: customer)
                }
                context.logger.info(
                    pausing ? "paused from the dashboard" : "resumed from the dashboard",
                    metadata: ["queue": .string(queue ?? "*"), "customer": .string(customer ?? "*")])
                return Response(status: .seeOther, headers: [.location: "/queues"])
            }
        }
    }

    func overview(_ context: DashboardContext) async throws -> OverviewLive {
        let snapshot = try await snapshot(for: context.caller)
        // The cluster's health is an operator's: a customer's overview does not read it.
        let report = context.caller.isAdmin ? await health?.report() : nil
        let now = clock.now()
        var checks: [OverviewLive.Check] = []
        if let report {
            for (name, entries) in report.checks.sorted(by: { $0.key < $1.key }) {
                for check in entries {
                    checks.append(
                        .init(
                            name: check.componentId.map { "\(name) (\($0))" } ?? name, status: check.status.rawValue,
                            observed: Self.text(check.observedValue) + (check.observedUnit.map { " \($0)" } ?? ""),
                            note: check.output ?? ""))
                }
            }
        }
        let leader: String =
            if case .string(let holder) = report?.checks[HealthReport.Key.leader]?.first?.observedValue {
                holder
            } else { "none" }
        let liveness = health?.configuration.thresholds.workerLiveness ?? .seconds(30)
        let chart = ThroughputChart(snapshot.throughput, now: now)
        return OverviewLive(
            isAdmin: context.caller.isAdmin, health: report?.status.rawValue ?? "unknown", checks: checks,
            totals: .init(snapshot.counts), chart: chart.svg, completed: chart.completed, failed: chart.failed,
            dead: chart.dead, liveWorkers: snapshot.workers.filter { $0.isLive(at: now, timeout: liveness) }.count,
            leader: leader, updated: DashboardTime.text(snapshot.takenAt))
    }

    func queues(_ context: DashboardContext) async throws -> QueuesLive {
        let snapshot = try await snapshot(for: context.caller)
        let weights = Dictionary(snapshot.customers.map { ($0.name, $0.weight) }, uniquingKeysWith: { a, _ in a })
        var pairs = Set(snapshot.counts.map { QueuesLive.Pair(queue: $0.queue, customer: $0.customer) })
        for pause in snapshot.pauses {
            if let queue = pause.queue, let customer = pause.customer {
                pairs.insert(.init(queue: queue, customer: customer))
            }
        }
        // By pair, once: with thousands of customers, a search per row would cost rows × rows.
        let countsByPair = Dictionary(
            snapshot.counts.map { (QueuesLive.Pair(queue: $0.queue, customer: $0.customer), $0.counts) },
            uniquingKeysWith: { a, _ in a })
        // The oldest waiting job's age is the health report's (reused for a second), not a
        // second reading of every waiting job.
        var oldestByPair: [String: Double] = [:]
        for check in await health?.report().checks[HealthReport.Key.queueAge] ?? [] {
            if let id = check.componentId, let seconds = Self.seconds(check.observedValue) {
                oldestByPair[id] = seconds
            }
        }
        let rows = pairs.sorted { ($0.queue, $0.customer) < ($1.queue, $1.customer) }.map { pair in
            let counts = countsByPair[pair] ?? [:]
            let holding = snapshot.pauses.filter { $0.holds(queue: pair.queue, customer: pair.customer) }
            let here = holding.contains { $0.queue == pair.queue && $0.customer == pair.customer }
            let caps = snapshot.caps.filter { $0.binds(queue: pair.queue, customer: pair.customer) }.map { cap in
                switch (cap.queue, cap.customer) {
                case (.some, .some): "this queue ≤ \(cap.maxRunning)"
                case (.some, nil): "queue ≤ \(cap.maxRunning)"
                default: "customer ≤ \(cap.maxRunning)"
                }
            }
            let oldest = oldestByPair["\(pair.customer)/\(pair.queue)"]
            return QueuesLive.Row(
                queue: pair.queue, customer: pair.customer, waiting: counts[.available] ?? 0,
                running: counts[.running] ?? 0, scheduled: counts[.scheduled] ?? 0,
                retryable: counts[.retryable] ?? 0, dead: counts[.dead] ?? 0,
                oldest: oldest.map { DashboardTime.age(seconds: Int($0)) } ?? "—",
                weight: JSONValue.text(of: (weights[pair.customer] ?? nil) ?? 1), caps: caps.joined(separator: ", "),
                paused: !holding.isEmpty, pausedHere: here,
                pausedBy: holding.isEmpty || here ? "" : " (whole \(holding[0].queue == nil ? "customer" : "queue"))",
                pausable: !holding.contains { !($0.queue == pair.queue && $0.customer == pair.customer) } || here)
        }
        var whole: [QueuesLive.Whole] = []
        if context.caller.isAdmin {
            for queue in Set(pairs.map(\.queue)).sorted() {
                whole.append(
                    .init(
                        label: "queue \(queue)", queue: queue, customer: nil,
                        paused: snapshot.pauses.contains { $0.queue == queue && $0.customer == nil }))
            }
            for customer in Set(pairs.map(\.customer)).sorted() {
                whole.append(
                    .init(
                        label: "customer \(customer)", queue: nil, customer: customer,
                        paused: snapshot.pauses.contains { $0.queue == nil && $0.customer == customer }))
            }
        }
        return QueuesLive(
            rows: rows, wholeQueues: whole, canAct: context.session.canAct, csrf: context.session.csrfToken,
            updated: DashboardTime.text(snapshot.takenAt))
    }

    func workers(_ context: DashboardContext) async throws -> WorkersLive {
        let snapshot = try await snapshot(for: context.caller)
        let now = clock.now()
        let liveness = health?.configuration.thresholds.workerLiveness ?? .seconds(30)
        return WorkersLive(
            workers: snapshot.workers.map { worker in
                .init(
                    id: worker.id, live: worker.isLive(at: now, timeout: liveness), host: worker.host, pid: worker.pid,
                    queues: worker.queues.joined(separator: ", "), concurrency: worker.concurrency,
                    running: worker.jobsRunning,
                    heartbeat: DashboardTime.age(since: worker.lastHeartbeatAt, now: now) + " ago",
                    started: DashboardTime.text(worker.startedAt))
            }, updated: DashboardTime.text(snapshot.takenAt))
    }

    static func seconds(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let whole): Double(whole)
        case .number(let fraction): fraction
        default: nil
        }
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .bool(let flag): flag ? "yes" : "no"
        case .integer(let whole): String(whole)
        case .number(let fraction): JSONValue.text(of: fraction)
        case .string(let text): text
        case .array(let values): values.map(text).joined(separator: ", ")
        case .object(let members):
            members.sorted { $0.key < $1.key }.map { "\($0.key): \(text($0.value))" }.joined(separator: ", ")
        }
    }
}

/// Mirrored puts a page's frame beside its live part, so the page template and the fragment read
/// the same names.
struct Mirrored<Live: TemplateView>: MustacheParent {
    let frame: Frame
    let live: Live
    init(frame: Frame, _ live: Live) {
        self.frame = frame
        self.live = live
    }

    func child(named name: String) -> Any? { name == "frame" ? frame : live.child(named: name) }
}

struct OverviewLive: TemplateView {
    struct Check {
        let name: String
        let status: String
        let observed: String
        let note: String
    }
    struct Totals {
        let waiting, running, scheduled, retryable, dead: Int
        init(_ counts: [QueueCounts]) {
            func sum(_ state: JobState) -> Int { counts.reduce(0) { $0 + ($1.counts[state] ?? 0) } }
            waiting = sum(.available)
            running = sum(.running)
            scheduled = sum(.scheduled)
            retryable = sum(.retryable)
            dead = sum(.dead)
        }
    }
    /// The cluster's parts — its health, workers and maintenance leader — are an operator's: a
    /// customer's overview shows its own jobs only.
    let isAdmin: Bool
    let health: String
    let checks: [Check]
    let totals: Totals
    let chart: String
    let completed, failed, dead: Int
    let liveWorkers: Int
    let leader: String
    let updated: String
    var extras: [String: Any] { ["hasChecks": !checks.isEmpty] }
}

struct QueuesLive: TemplateView {
    struct Pair: Hashable {
        let queue: String
        let customer: String
    }
    struct Row: TemplateView {
        let queue, customer: String
        let waiting, running, scheduled, retryable, dead: Int
        let oldest, weight, caps: String
        let paused, pausedHere: Bool
        let pausedBy: String
        let pausable: Bool
        var extras: [String: Any] { ["hasDead": dead > 0] }
    }
    struct Whole {
        let label: String
        let queue: String?
        let customer: String?
        let paused: Bool
    }
    let rows: [Row]
    let wholeQueues: [Whole]
    let canAct: Bool
    let csrf: String
    let updated: String
    var extras: [String: Any] { ["hasRows": !rows.isEmpty, "hasWholeQueues": !wholeQueues.isEmpty] }
}

struct WorkersLive: TemplateView {
    struct Row {
        let id: String
        let live: Bool
        let host: String
        let pid: Int
        let queues: String
        let concurrency, running: Int
        let heartbeat, started: String
    }
    let workers: [Row]
    let updated: String
    var extras: [String: Any] { ["hasWorkers": !workers.isEmpty] }
}
