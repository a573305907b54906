public import ConveyorCore
public import Foundation

/// AlertConditions decides, from one look at the store, which alerts hold. Pure: the monitor
/// gathers the readings, this judges them.
public enum AlertConditions {
    /// The alerts that hold. `recentFailures` are jobs that failed since `since` (the previous look):
    /// those now dead count as new dead letters of their queue, and those whose last error is the
    /// stale rescue's count as rescues. "Over" a threshold means strictly more.
    public static func evaluate(
        deadLetters: Int, recentFailures: [Job], since: Date, backlogs: [QueueBacklog], thresholds: AlertThresholds,
        at now: Date
    ) -> [Alert] {
        var alerts: [Alert] = []
        if let threshold = thresholds.deadLetters, deadLetters > threshold {
            alerts.append(
                Alert(
                    rule: .deadLetters, observed: Double(deadLetters), threshold: Double(threshold), unit: "dead jobs"))
        }
        let recent = recentFailures.filter { ($0.lastFailedAt ?? .distantPast) > since }
        if let threshold = thresholds.newDeadLetters {
            let dead = Dictionary(grouping: recent.filter { $0.state == .dead }) {
                QueueName(customer: $0.customer, queue: $0.queue)
            }
            for (name, jobs) in dead.sorted(by: { ($0.key.customer, $0.key.queue) < ($1.key.customer, $1.key.queue) })
            where jobs.count > threshold {
                alerts.append(
                    Alert(
                        rule: .newDeadLetters, customer: name.customer, queue: name.queue, observed: Double(jobs.count),
                        threshold: Double(threshold), unit: "dead jobs", topErrors: topErrors(of: jobs)))
            }
        }
        if let threshold = thresholds.oldestAvailableSeconds {
            for backlog in backlogs.sorted(by: { ($0.customer, $0.queue) < ($1.customer, $1.queue) }) {
                let waited = now.timeIntervalSince(backlog.oldestReadySince).rounded(.down)
                if waited > threshold {
                    alerts.append(
                        Alert(
                            rule: .oldestAvailable, customer: backlog.customer, queue: backlog.queue, observed: waited,
                            threshold: threshold, unit: "s"))
                }
            }
        }
        if let threshold = thresholds.staleRescues {
            let rescued = recent.filter { $0.errors.last?.message == Job.staleErrorMessage }
            if rescued.count > threshold {
                alerts.append(
                    Alert(
                        rule: .staleRescues, observed: Double(rescued.count), threshold: Double(threshold),
                        unit: "rescues"))
            }
        }
        return alerts
    }

    /// The most frequent last errors of `jobs`, most frequent first, ties by text; at most three.
    static func topErrors(of jobs: [Job]) -> [String] {
        let counts = Dictionary(grouping: jobs.compactMap { $0.errors.last?.message }) { $0 }.mapValues(\.count)
        return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(3).map { "\($0.key) (×\($0.value))" }
    }
}
