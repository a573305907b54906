import ConveyorCore
public import Foundation

/// HealthReport is the health-check draft's document (`application/health+json`): an overall
/// status — the worst of the checks' — the version, and the checks keyed `component:measurement`.
/// Built from observations by pure rules, so every threshold is testable without a database.
public struct HealthReport: Sendable, Encodable {
    public let status: HealthStatus
    public let version: String
    public let checks: [String: [HealthCheck]]

    /// The keys of the checks, in one place (tests and docs name them).
    public enum Key {
        public static let database = "database:responseTime"
        public static let workers = "workers:live"
        public static let staleJobs = "jobs:stale"
        public static let queueDepth = "queue:depth"
        public static let queueAge = "queue:oldestAvailableAge"
        public static let deadLetters = "deadLetters:count"
        public static let rateLimiter = "rateLimiter:mode"
        public static let leader = "maintenance:leader"
        public static let paused = "queue:paused"
    }

    /// Judges `observations` taken at `now` by `thresholds`.
    public init(
        _ observations: HealthObservations, thresholds: HealthThresholds, version: String, role: String, at now: Date
    ) {
        var checks: [String: [HealthCheck]] = [:]
        // Everything but the database's own check depends on the database; a reading that could not be
        // taken is a warning (something to look at), and the database check carries the failure.
        func unmeasured(_ failure: HealthProbeFailure, type: String, unit: String) -> HealthCheck {
            .unmeasured("not measured: \(failure.reason)", status: .warn, componentType: type, unit: unit, at: now)
        }
        switch observations.database {
        case .success(let roundTrip):
            checks[Key.database] = [
                .measured(
                    roundTrip.milliseconds, unit: "ms", by: thresholds.databaseLatencyMs, componentType: "datastore",
                    at: now)
            ]
        case .failure(let failure):
            checks[Key.database] = [
                .unmeasured(
                    "unreachable: \(failure.reason)", status: .fail, componentType: "datastore", unit: "ms", at: now)
            ]
        }
        checks[Key.workers] = [
            observations.workers.map { workers in
                let live = workers.filter { $0.isLive(at: now, timeout: thresholds.workerLiveness) }.count
                return .measured(
                    Double(live), unit: "workers", by: thresholds.liveWorkers, componentType: "system", at: now)
            }.fold { unmeasured($0, type: "system", unit: "workers") }
        ]
        checks[Key.staleJobs] = [
            observations.staleJobs.map {
                .measured(Double($0), unit: "jobs", by: thresholds.staleJobs, componentType: "system", at: now)
            }.fold { unmeasured($0, type: "system", unit: "jobs") }
        ]
        switch observations.backlogs {
        case .success(let backlogs):
            let ordered = backlogs.sorted { ($0.customer, $0.queue) < ($1.customer, $1.queue) }
            checks[Key.queueDepth] = ordered.map {
                .measured(
                    Double($0.ready), unit: "jobs", by: thresholds.queueDepth,
                    componentId: "\($0.customer)/\($0.queue)",
                    componentType: "queue", at: now)
            }
            checks[Key.queueAge] = ordered.map {
                .measured(
                    max(0, now.timeIntervalSince($0.oldestReadySince)).rounded(.down), unit: "s",
                    by: thresholds.oldestAvailableSeconds, componentId: "\($0.customer)/\($0.queue)",
                    componentType: "queue", at: now)
            }
        case .failure(let failure):
            checks[Key.queueDepth] = [unmeasured(failure, type: "queue", unit: "jobs")]
            checks[Key.queueAge] = [unmeasured(failure, type: "queue", unit: "s")]
        }
        checks[Key.deadLetters] = [
            observations.deadLetters.map {
                .measured(Double($0), unit: "jobs", by: thresholds.deadLetters, componentType: "queue", at: now)
            }.fold { unmeasured($0, type: "queue", unit: "jobs") }
        ]
        if let mode = observations.rateLimiterMode {
            let degraded = mode != "store"
            checks[Key.rateLimiter] = [
                HealthCheck(
                    componentType: "component", observedValue: .string(mode), observedUnit: "mode",
                    status: degraded ? thresholds.rateLimiterFallback : .pass,
                    time: now,
                    output: degraded && thresholds.rateLimiterFallback != .pass
                        ? "degraded: the limiter's table failed or was too slow, so this node limits from memory on its own"
                        : nil)
            ]
        }
        checks[Key.leader] = [
            observations.leader.map { leadership -> HealthCheck in
                guard let leadership else {
                    return HealthCheck(
                        componentId: role, componentType: "component", observedValue: .null, observedUnit: "process",
                        status: thresholds.noLeader, time: now,
                        output: thresholds.noLeader == .pass
                            ? nil : "no process leads \(role): stale jobs are not being rescued")
                }
                return HealthCheck(
                    componentId: role, componentType: "component", observedValue: .string(leadership.holder),
                    observedUnit: "process",
                    status: .pass, time: now, since: leadership.since)
            }.fold { unmeasured($0, type: "component", unit: "process") }
        ]
        // What is paused is for operators to see, never a failure: it was asked for.
        if case .success(let pauses) = observations.pauses, !pauses.isEmpty {
            checks[Key.paused] = pauses.map { pause in
                HealthCheck(
                    componentId: "\(pause.customer ?? "*")/\(pause.queue ?? "*")", componentType: "queue",
                    observedValue: .bool(true), observedUnit: "paused", status: .pass, time: now, since: pause.pausedAt)
            }
        }
        self.checks = checks
        self.status = checks.values.joined().map(\.status).max() ?? .pass
        self.version = version
    }

    /// The report as health+json; without `details`, only the overall status and version (what an
    /// unauthenticated caller may see).
    public func encoded(details: Bool) throws -> Data {
        if details { return try JSONEncoder.conveyor().encode(self) }
        return try JSONEncoder.conveyor().encode(["status": status.rawValue, "version": version])
    }
}

extension Result {
    /// The success value, or `transform` of the failure.
    func fold(_ transform: (Failure) -> Success) -> Success {
        switch self {
        case .success(let value): value
        case .failure(let failure): transform(failure)
        }
    }
}
