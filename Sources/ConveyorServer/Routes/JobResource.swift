import ConveyorCore
import Foundation

/// JobResource is a job as the API shows it: every field of `Job` but the lease token, which only
/// the worker that claimed the job ever gets (in the claim's answer).
struct JobResource: Encodable, Sendable {
    let job: Job

    enum CodingKeys: String, CodingKey {
        case id, customer, queue, type, payload, priority, state, attempt, errors, result, progress, schedule
        case scheduledFor = "scheduled_for"
        case runAt = "run_at"
        case maxAttempts = "max_attempts"
        case leaseExpiresAt = "lease_expires_at"
        case workerID = "worker_id"
        case deadReason = "dead_reason"
        case replayCount = "replay_count"
        case idempotencyKey = "idempotency_key"
        case createdAt = "created_at"
        case attemptedAt = "attempted_at"
        case finishedAt = "finished_at"
        case firstFailedAt = "first_failed_at"
        case lastFailedAt = "last_failed_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job.id, forKey: .id)
        try container.encode(job.customer, forKey: .customer)
        try container.encode(job.queue, forKey: .queue)
        try container.encode(job.type, forKey: .type)
        try container.encode(job.payload, forKey: .payload)
        try container.encode(job.priority, forKey: .priority)
        try container.encode(job.state, forKey: .state)
        try container.encode(job.attempt, forKey: .attempt)
        try container.encode(job.errors, forKey: .errors)
        try container.encode(job.runAt, forKey: .runAt)
        try container.encode(job.maxAttempts, forKey: .maxAttempts)
        try container.encode(job.leaseExpiresAt, forKey: .leaseExpiresAt)
        try container.encode(job.workerID, forKey: .workerID)
        try container.encode(job.deadReason, forKey: .deadReason)
        try container.encode(job.replayCount, forKey: .replayCount)
        try container.encode(job.idempotencyKey, forKey: .idempotencyKey)
        try container.encode(job.createdAt, forKey: .createdAt)
        try container.encode(job.attemptedAt, forKey: .attemptedAt)
        try container.encode(job.finishedAt, forKey: .finishedAt)
        try container.encode(job.firstFailedAt, forKey: .firstFailedAt)
        try container.encode(job.lastFailedAt, forKey: .lastFailedAt)
        try container.encode(job.result, forKey: .result)
        try container.encode(job.progress, forKey: .progress)
        try container.encode(job.schedule, forKey: .schedule)
        try container.encode(job.scheduledFor, forKey: .scheduledFor)
    }
}
