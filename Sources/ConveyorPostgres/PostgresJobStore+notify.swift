import ConveyorCore
import Logging
import PostgresNIO

/// LISTEN/NOTIFY: an enqueue (or a release or replay that makes jobs available) announces the
/// queue on a channel when its transaction commits, and every process's listener rings its
/// store's doorbell, so idle workers on every host start at once. A running job's cancel is
/// announced on the same channel as `cancel:` and its id (no queue name has a colon), and every
/// listener posts it to its store's `cancellations`. Polling stays the safety net:
/// when the listening connection drops, workers keep polling and the listener reconnects with
/// backoff, logging once per outage.
extension PostgresJobStore {
    /// What starts a cancel's announcement.
    static let cancelMark = "cancel:"

    /// Announces jobs available on `queues`; delivered when the surrounding transaction commits.
    static func notify(_ queues: some Sequence<String>, _ connection: PostgresConnection, logger: Logger) async throws {
        let distinct = Array(Set(queues))
        guard !distinct.isEmpty else { return }
        // Collected: rows left unread can leave the statement unfinished when the transaction commits.
        _ = try await connection.query(
            "SELECT pg_notify(\(channel), queue) FROM unnest(\(distinct)) AS queue", logger: logger
        ).collect()
    }

    /// Listens on the channel until cancelled, ringing `wakeups` with each notified queue, and
    /// listens again (with backoff) whenever the connection is lost.
    func listen() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        if failures > 0 { self.logger.notice("listening for enqueues again") }
                        failures = 0
                        self.listening.ringAll()
                        for try await notification in notifications {
                            let payload = notification.payload
                            if payload.hasPrefix(Self.cancelMark) {
                                if let id = JobID(String(payload.dropFirst(Self.cancelMark.count))) {
                                    self.cancellations.post(id)
                                }
                            } else {
                                self.wakeups.ring([payload])
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                connectionTrouble.value.store(true, ordering: .relaxed)
                failures += 1
                if failures == 1 {
                    logger.warning(
                        "the listening connection was lost; workers poll until it is back",
                        metadata: ["error": .string(explain(error))])
                }
            }
            // Whatever ended the listening, idle workers should look now rather than wait.
            wakeups.ringAll()
            try? await Task.sleep(for: .milliseconds(100) * (1 << min(failures, 6)))
        }
    }
}
