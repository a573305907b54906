public import ConveyorCore
import Foundation
import PostgresNIO

/// PostgresJobStore's webhook endpoints, their attempts, and the dispatch cursor (`WebhookStore`).
extension PostgresJobStore {
    static let webhookColumns = """
        id, customer, url, events, queue, description, secret, previous_secret,
        (extract(epoch FROM previous_secret_expires_at) * 1000)::int8, (extract(epoch FROM created_at) * 1000)::int8,
        (extract(epoch FROM disabled_at) * 1000)::int8, disabled_reason, (extract(epoch FROM failing_since) * 1000)::int8
        """

    public func createWebhook(_ draft: WebhookEndpointDraft, secret: String) async throws -> WebhookEndpoint {
        let logger = self.logger
        return try await transaction { connection, now in
            let count = try await Self.lockCustomer(
                draft.customer, counting: "webhook_endpoints", connection, logger: logger)
            guard count < WebhookEndpoint.perCustomer else {
                throw JobStoreError.tooManyWebhooks(customer: draft.customer, limit: WebhookEndpoint.perCustomer)
            }
            let endpoint = WebhookEndpoint(
                id: WebhookEndpoint.newID(), customer: draft.customer, url: draft.url, events: draft.events,
                queue: draft.queue, description: draft.description, secret: secret,
                createdAt: now.truncatedToMilliseconds)
            try await connection.query(
                """
                INSERT INTO webhook_endpoints (id, customer, url, events, queue, description, secret, created_at)
                VALUES (\(endpoint.id), \(endpoint.customer), \(endpoint.url), \(endpoint.events.map(\.rawValue)),
                    \(endpoint.queue), \(endpoint.description), \(endpoint.secret),
                    to_timestamp(\(now.unixMilliseconds) / 1000.0))
                """, logger: logger)
            // The first endpoint ever starts dispatching here (after the newest readable event),
            // whether or not a dispatcher runs yet.
            try await connection.query(
                """
                INSERT INTO webhook_dispatch (singleton, cursor)
                SELECT 1, coalesce((
                    SELECT tx::text || '-' || id FROM job_events WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
                    ORDER BY tx DESC, id DESC LIMIT 1), '0')
                ON CONFLICT (singleton) DO NOTHING
                """, logger: logger)
            return endpoint
        }
    }

    public func webhooks(customer: String?) async throws -> [WebhookEndpoint] {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query(
                """
                SELECT \(unescaped: Self.webhookColumns) FROM webhook_endpoints
                WHERE \(customer)::text IS NULL OR customer = \(customer) ORDER BY seq
                """, logger: logger
            ).collect().map(Self.decodeWebhook)
        }
    }

    public func webhook(id: String, customer: String?) async throws -> WebhookEndpoint {
        let logger = self.logger
        return try await read { connection, _ in
            try await Self.webhook(connection, id: id, customer: customer, locking: false, logger: logger)
        }
    }

    public func updateWebhook(
        id: String, customer: String?, _ change: WebhookEndpointChange
    ) async throws -> WebhookEndpoint {
        try await changeWebhook(id: id, customer: customer) { $0.applying(change, at: $1) }
    }

    public func deleteWebhook(id: String, customer: String?) async throws {
        let logger = self.logger
        let deleted = try await read { connection, _ in
            try await connection.query(
                """
                DELETE FROM webhook_endpoints WHERE id = \(id) AND (\(customer)::text IS NULL OR customer = \(customer))
                RETURNING id
                """, logger: logger
            ).collect().count
        }
        guard deleted > 0 else { throw JobStoreError.webhookNotFound(id: id) }
    }

    public func rotateWebhookSecret(id: String, customer: String?, to secret: String) async throws -> WebhookEndpoint {
        try await changeWebhook(id: id, customer: customer) { $0.rotated(to: secret, at: $1) }
    }

    public func recordWebhookAttempt(_ attempt: WebhookAttempt) async throws -> WebhookEndpoint? {
        let logger = self.logger
        return try await transaction { connection, now in
            guard
                let endpoint = try? await Self.webhook(
                    connection, id: attempt.endpointID, customer: nil, locking: true, logger: logger)
            else { return nil }
            try await connection.query(
                """
                INSERT INTO webhook_attempts (endpoint_id, job_id, webhook_id, event, attempt, at, status_code,
                    latency_ms, error)
                VALUES (\(attempt.endpointID), \(attempt.jobID.description), \(attempt.messageID), \(attempt.event),
                    \(attempt.attempt), to_timestamp(\(attempt.at.unixMilliseconds) / 1000.0), \(attempt.statusCode),
                    \(attempt.latencyMilliseconds), \(attempt.error))
                """, logger: logger)
            try await connection.query(
                """
                DELETE FROM webhook_attempts WHERE endpoint_id = \(attempt.endpointID) AND seq <= (
                    SELECT seq FROM webhook_attempts WHERE endpoint_id = \(attempt.endpointID)
                    ORDER BY seq DESC LIMIT 1 OFFSET \(Self.attemptLogLength))
                """, logger: logger)
            guard let changed = endpoint.after(attempt.outcome, at: now) else { return endpoint }
            try await Self.save(changed, connection, logger: logger)
            return changed
        }
    }

    public func webhookAttempts(endpointID: String, customer: String?, limit: Int) async throws -> [WebhookAttempt] {
        let logger = self.logger
        return try await read { connection, _ in
            _ = try await Self.webhook(connection, id: endpointID, customer: customer, locking: false, logger: logger)
            return try await connection.query(
                """
                SELECT endpoint_id, job_id, webhook_id, event, attempt::int8, (extract(epoch FROM at) * 1000)::int8,
                    status_code::int8, latency_ms::int8, error
                FROM webhook_attempts WHERE endpoint_id = \(endpointID) ORDER BY seq DESC LIMIT \(Int64(limit))
                """, logger: logger
            ).collect().map { row in
                let (endpoint, job, message, event, attempt, at, status, latency, error) = try row.decode(
                    (String, String, String, String, Int64, Int64, Int64?, Int64, String?).self)
                return WebhookAttempt(
                    endpointID: endpoint, jobID: JobID(job)!, messageID: message, event: event, attempt: Int(attempt),
                    at: Date(unixMilliseconds: at), statusCode: status.map(Int.init),
                    latencyMilliseconds: Int(latency), error: error)
            }
        }
    }

    public func webhookCursor() async throws -> EventCursor? {
        let logger = self.logger
        return try await read { connection, _ in
            try await connection.query("SELECT cursor FROM webhook_dispatch", logger: logger).collect().first
                .flatMap { EventCursor(try $0.decode(String.self)) }
        }
    }

    public func dispatchWebhooks(
        _ deliveries: [NewJob], from: EventCursor?, to: EventCursor, perCustomer: Int
    ) async throws -> Bool {
        let logger = self.logger
        let dispatched = try await transaction { connection, now -> Bool in
            // The cursor row, made once ('' for none) and locked: dispatchers take turns here.
            try await connection.query(
                "INSERT INTO webhook_dispatch (singleton, cursor) VALUES (1, '') ON CONFLICT DO NOTHING", logger: logger
            )
            let current = try await connection.query(
                "SELECT cursor FROM webhook_dispatch WHERE singleton = 1 FOR UPDATE", logger: logger
            ).collect().first?.decode(String.self)
            guard current.flatMap(EventCursor.init) == from else { return false }
            try await connection.query(
                "UPDATE webhook_dispatch SET cursor = \(to.description) WHERE singleton = 1", logger: logger)
            guard !deliveries.isEmpty else { return true }
            // Jobs of Conveyor's own: no backlog quota, no events (`Job.events(since:at:)`).
            let jobs = deliveries.map { Job(accepting: $0, id: .generate(at: now), at: now) }
            try await connection.query(
                """
                INSERT INTO jobs (id, customer, queue, type, payload, priority, state, run_at, attempt, max_attempts,
                    errors, replay_count, created_at)
                SELECT v.id, v.customer, v.queue, v.type, v.payload, 0, 'available', to_timestamp(v.at / 1000.0), 0,
                    v.max_attempts, '[]', 0, to_timestamp(v.at / 1000.0)
                FROM unnest(\(jobs.map(\.id.description)), \(jobs.map(\.customer)), \(jobs.map(\.queue)),
                    \(jobs.map(\.type)), \(jobs.map(\.payload.text)), \(jobs.map { Int64($0.maxAttempts) }),
                    \(jobs.map(\.createdAt.unixMilliseconds)))
                    AS v(id, customer, queue, type, payload, max_attempts, at)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO concurrency_caps (queue, customer, max_running)
                SELECT \(WebhookDelivery.queue), customer, \(perCustomer) FROM unnest(\(Array(Set(jobs.map(\.customer))))::text[]) AS customer
                ON CONFLICT (queue, customer) DO UPDATE SET max_running = EXCLUDED.max_running
                WHERE concurrency_caps.max_running <> EXCLUDED.max_running
                """, logger: logger)
            try await Self.notify([WebhookDelivery.queue], connection, logger: logger)
            return true
        }
        if dispatched, !deliveries.isEmpty { wakeups.ring([WebhookDelivery.queue]) }
        return dispatched
    }

    /// Locks the customer's row, so that its registrations take turns and a count taken now holds
    /// at commit, and counts its rows in `table`; `customerNotFound` when there is no such customer.
    static func lockCustomer(
        _ customer: String, counting table: String, _ connection: PostgresConnection, logger: Logger
    ) async throws -> Int64 {
        let customers = try await connection.query(
            "SELECT name FROM customers WHERE name = \(customer) FOR UPDATE", logger: logger
        ).collect()
        guard !customers.isEmpty else { throw JobStoreError.customerNotFound(name: customer) }
        return try await connection.query(
            "SELECT count(*)::int8 FROM \(unescaped: table) WHERE customer = \(customer)", logger: logger
        ).collect().first?.decode(Int64.self) ?? 0
    }

    /// Reads, changes and writes one endpoint in a transaction, the row locked.
    private func changeWebhook(
        id: String, customer: String?, _ change: @escaping @Sendable (WebhookEndpoint, Date) -> WebhookEndpoint
    ) async throws -> WebhookEndpoint {
        let logger = self.logger
        return try await transaction { connection, now in
            let endpoint = change(
                try await Self.webhook(connection, id: id, customer: customer, locking: true, logger: logger), now)
            try await Self.save(endpoint, connection, logger: logger)
            return endpoint
        }
    }

    private static func webhook(
        _ connection: PostgresConnection, id: String, customer: String?, locking: Bool, logger: Logger
    ) async throws -> WebhookEndpoint {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: webhookColumns) FROM webhook_endpoints
            WHERE id = \(id) AND (\(customer)::text IS NULL OR customer = \(customer)) \(unescaped: locking ? "FOR UPDATE" : "")
            """, logger: logger
        ).collect()
        guard let row = rows.first else { throw JobStoreError.webhookNotFound(id: id) }
        return try decodeWebhook(row)
    }

    /// Writes every field an endpoint's changes may touch.
    private static func save(_ endpoint: WebhookEndpoint, _ connection: PostgresConnection, logger: Logger) async throws
    {
        func time(_ date: Date?) -> Int64? { date?.unixMilliseconds }
        try await connection.query(
            """
            UPDATE webhook_endpoints SET url = \(endpoint.url), events = \(endpoint.events.map(\.rawValue)),
                queue = \(endpoint.queue), description = \(endpoint.description), secret = \(endpoint.secret),
                previous_secret = \(endpoint.previousSecret),
                previous_secret_expires_at = to_timestamp(\(time(endpoint.previousSecretExpiresAt)) / 1000.0),
                disabled_at = to_timestamp(\(time(endpoint.disabledAt)) / 1000.0),
                disabled_reason = \(endpoint.disabledReason),
                failing_since = to_timestamp(\(time(endpoint.failingSince)) / 1000.0)
            WHERE id = \(endpoint.id)
            """, logger: logger)
    }

    private static func decodeWebhook(_ row: PostgresRow) throws -> WebhookEndpoint {
        let (
            id, customer, url, events, queue, description, secret, previous, expires, created, disabled, reason, failing
        ) =
            try row.decode(
                (
                    String, String, String, [String], String?, String, String, String?, Int64?, Int64, Int64?, String?,
                    Int64?
                )
                .self)
        return WebhookEndpoint(
            id: id, customer: customer, url: url, events: events.compactMap(EventKind.init(rawValue:)), queue: queue,
            description: description, secret: secret, previousSecret: previous,
            previousSecretExpiresAt: expires.map(Date.init(unixMilliseconds:)),
            createdAt: Date(unixMilliseconds: created),
            disabledAt: disabled.map(Date.init(unixMilliseconds:)), disabledReason: reason,
            failingSince: failing.map(Date.init(unixMilliseconds:)))
    }
}
