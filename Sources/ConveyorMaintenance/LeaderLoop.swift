import ConveyorCore
import Logging
import ServiceLifecycle

/// LeaderLoop is what every maintenance service does: campaign for its role until graceful
/// shutdown and, while leading, run one pass every `interval`. Leadership changes are logged; a
/// failing pass is logged once per run of failures (not once per interval) and tried again next
/// interval.
struct LeaderLoop {
    let role: String
    let store: any LeaderElector
    let interval: Duration
    let logger: Logger

    func run(_ pass: @escaping @Sendable () async throws -> Void) async throws {
        let role = self.role
        let store = self.store
        let interval = self.interval
        let logger = self.logger
        try await cancelWhenGracefulShutdown {
            try await store.lead(role, retry: interval) {
                logger.info("became the leader", metadata: ["role": .string(role)])
                defer { logger.info("no longer the leader", metadata: ["role": .string(role)]) }
                var failing = false
                while !Task.isCancelled {
                    do {
                        // Bounded: a pass stuck on a query that never returns would hold the
                        // term, and the process's shutdown, for good (see `abandoning`).
                        try await abandoning(after: max(interval * 2, .seconds(30)), pass)
                        failing = false
                    } catch is CancellationError {
                        return
                    } catch {
                        if !failing {
                            logger.error(
                                "maintenance pass failed; retrying every interval",
                                metadata: ["role": .string(role), "error": "\(error)"])
                        }
                        failing = true
                    }
                    try await Task.sleep(for: interval)
                }
            }
        }
    }
}
