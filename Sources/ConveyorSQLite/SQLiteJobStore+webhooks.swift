public import ConveyorCore
import Foundation
import GRDB

/// SQLiteJobStore's webhook endpoints, their attempts, and the dispatch cursor (`WebhookStore`).
extension SQLiteJobStore {
    public func createWebhook(_ draft: WebhookEndpointDraft, secret: String) async throws -> WebhookEndpoint {
        try await write { db, now in
            guard
                try Int.fetchOne(db, sql: "SELECT 1 FROM customers WHERE name = ?", arguments: [draft.customer]) != nil
            else { throw JobStoreError.customerNotFound(name: draft.customer) }
            let count =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM webhook_endpoints WHERE customer = ?", arguments: [draft.customer])
                ?? 0
            guard count < WebhookEndpoint.perCustomer else {
                throw JobStoreError.tooManyWebhooks(customer: draft.customer, limit: WebhookEndpoint.perCustomer)
            }
            let endpoint = WebhookEndpoint(
                id: WebhookEndpoint.newID(), customer: draft.customer, url: draft.url, events: draft.events,
                queue: draft.queue, description: draft.description, secret: secret,
                createdAt: now.truncatedToMilliseconds)
            try db.execute(
                sql: """
                    INSERT INTO webhook_endpoints (id, customer, url, events, queue, description, secret, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    endpoint.id, endpoint.customer, endpoint.url, Self.eventsText(endpoint.events), endpoint.queue,
                    endpoint.description, endpoint.secret, now.unixMilliseconds,
                ])
            // The first endpoint ever starts dispatching here, whether or not a dispatcher runs yet.
            try db.execute(
                sql: """
                    INSERT INTO webhook_dispatch (singleton, cursor)
                    VALUES (1, CAST(coalesce((SELECT max(id) FROM job_events), 0) AS TEXT))
                    ON CONFLICT (singleton) DO NOTHING
                    """)
            return endpoint
        }
    }

    public func webhooks(customer: String?) async throws -> [WebhookEndpoint] {
        try await read { db, _ in
            try Row.fetchAll(
                db, sql: "SELECT * FROM webhook_endpoints WHERE ? IS NULL OR customer = ? ORDER BY seq",
                arguments: [customer, customer]
            ).map(Self.decodeWebhook)
        }
    }

    public func webhook(id: String, customer: String?) async throws -> WebhookEndpoint {
        try await read { db, _ in try Self.webhook(db, id: id, customer: customer) }
    }

    public func updateWebhook(
        id: String, customer: String?, _ change: WebhookEndpointChange
    ) async throws -> WebhookEndpoint {
        try await write { db, now in
            let endpoint = try Self.webhook(db, id: id, customer: customer).applying(change, at: now)
            try Self.save(endpoint, db)
            return endpoint
        }
    }

    public func deleteWebhook(id: String, customer: String?) async throws {
        try await write { db, _ in
            _ = try Self.webhook(db, id: id, customer: customer)
            try db.execute(sql: "DELETE FROM webhook_endpoints WHERE id = ?", arguments: [id])
        }
    }

    public func rotateWebhookSecret(id: String, customer: String?, to secret: String) async throws -> WebhookEndpoint {
        try await write { db, now in
            let endpoint = try Self.webhook(db, id: id, customer: customer).rotated(to: secret, at: now)
            try Self.save(endpoint, db)
            return endpoint
        }
    }

    public func recordWebhookAttempt(_ attempt: WebhookAttempt) async throws -> WebhookEndpoint? {
        try await write { db, now in
            guard var endpoint = try? Self.webhook(db, id: attempt.endpointID, customer: nil) else { return nil }
            try db.execute(
                sql: """
                    INSERT INTO webhook_attempts (endpoint_id, job_id, webhook_id, event, attempt, at, status_code,
                        latency_ms, error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    attempt.endpointID, attempt.jobID.description, attempt.messageID, attempt.event, attempt.attempt,
                    attempt.at.unixMilliseconds, attempt.statusCode, attempt.latencyMilliseconds, attempt.error,
                ])
            try db.execute(
                sql: """
                    DELETE FROM webhook_attempts WHERE endpoint_id = ? AND seq <= (
                        SELECT seq FROM webhook_attempts WHERE endpoint_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)
                    """,
                arguments: [attempt.endpointID, attempt.endpointID, Self.attemptLogLength])
            if let changed = endpoint.after(attempt.outcome, at: now) {
                endpoint = changed
                try Self.save(endpoint, db)
            }
            return endpoint
        }
    }

    public func webhookAttempts(endpointID: String, customer: String?, limit: Int) async throws -> [WebhookAttempt] {
        try await read { db, _ in
            _ = try Self.webhook(db, id: endpointID, customer: customer)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM webhook_attempts WHERE endpoint_id = ? ORDER BY seq DESC LIMIT ?",
                arguments: [endpointID, limit]
            ).map { row in
                WebhookAttempt(
                    endpointID: row["endpoint_id"], jobID: JobID(row["job_id"] as String)!,
                    messageID: row["webhook_id"],
                    event: row["event"], attempt: row["attempt"], at: Date(unixMilliseconds: row["at"]),
                    statusCode: row["status_code"], latencyMilliseconds: row["latency_ms"], error: row["error"])
            }
        }
    }

    public func webhookCursor() async throws -> EventCursor? {
        try await read { db, _ in try Self.webhookCursor(db) }
    }

    public func dispatchWebhooks(
        _ deliveries: [NewJob], from: EventCursor?, to: EventCursor, perCustomer: Int
    ) async throws -> Bool {
        let dispatched = try await write { db, now -> Bool in
            guard try Self.webhookCursor(db) == from else { return false }
            try db.execute(
                sql: """
                    INSERT INTO webhook_dispatch (singleton, cursor) VALUES (1, ?)
                    ON CONFLICT (singleton) DO UPDATE SET cursor = excluded.cursor
                    """,
                arguments: [to.description])
            // Jobs of Conveyor's own: no backlog quota, no events (`Job.events(since:at:)`).
            for delivery in deliveries {
                try JobRow.insert(Job(accepting: delivery, id: .generate(at: now), at: now), db)
            }
            for customer in Set(deliveries.map(\.customer)) {
                try db.execute(
                    sql: """
                        INSERT INTO concurrency_caps (queue, customer, max_running) VALUES (?, ?, ?)
                        ON CONFLICT (queue, customer) DO UPDATE SET max_running = excluded.max_running
                        WHERE max_running <> excluded.max_running
                        """,
                    arguments: [WebhookDelivery.queue, customer, perCustomer])
            }
            return true
        }
        if dispatched, !deliveries.isEmpty { wakeups.ring([WebhookDelivery.queue]) }
        return dispatched
    }

    private static func webhookCursor(_ db: Database) throws -> EventCursor? {
        try String.fetchOne(db, sql: "SELECT cursor FROM webhook_dispatch").flatMap(EventCursor.init)
    }

    private static func webhook(_ db: Database, id: String, customer: String?) throws -> WebhookEndpoint {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM webhook_endpoints WHERE id = ? AND (? IS NULL OR customer = ?)",
                arguments: [id, customer, customer])
        else { throw JobStoreError.webhookNotFound(id: id) }
        return decodeWebhook(row)
    }

    /// Writes every field an endpoint's changes may touch.
    private static func save(_ endpoint: WebhookEndpoint, _ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE webhook_endpoints SET url = ?, events = ?, queue = ?, description = ?, secret = ?,
                    previous_secret = ?, previous_secret_expires_at = ?, disabled_at = ?, disabled_reason = ?,
                    failing_since = ?
                WHERE id = ?
                """,
            arguments: [
                endpoint.url, eventsText(endpoint.events), endpoint.queue, endpoint.description, endpoint.secret,
                endpoint.previousSecret, endpoint.previousSecretExpiresAt?.unixMilliseconds,
                endpoint.disabledAt?.unixMilliseconds, endpoint.disabledReason, endpoint.failingSince?.unixMilliseconds,
                endpoint.id,
            ])
    }

    private static func eventsText(_ events: [EventKind]) -> String { events.map(\.rawValue).joined(separator: ",") }

    private static func decodeWebhook(_ row: Row) -> WebhookEndpoint {
        func date(_ column: String) -> Date? { (row[column] as Int64?).map(Date.init(unixMilliseconds:)) }
        let events: String = row["events"]
        return WebhookEndpoint(
            id: row["id"], customer: row["customer"], url: row["url"],
            events: events.split(separator: ",").compactMap { EventKind(rawValue: String($0)) }, queue: row["queue"],
            description: row["description"], secret: row["secret"], previousSecret: row["previous_secret"],
            previousSecretExpiresAt: date("previous_secret_expires_at"),
            createdAt: Date(unixMilliseconds: row["created_at"]), disabledAt: date("disabled_at"),
            disabledReason: row["disabled_reason"], failingSince: date("failing_since"))
    }
}
