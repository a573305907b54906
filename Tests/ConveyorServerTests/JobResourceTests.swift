import ConveyorCore
import Foundation
import Testing

@testable import ConveyorServer

@Suite("HTTP API: the job JSON")
struct JobResourceTests {
    @Test("a job in the API has every field Job encodes but the lease token")
    func sameFieldsAsJob() throws {
        let now = Date(unixMilliseconds: 1_800_000_000_000)
        // Every optional set, so that Job's own encoding (which leaves out nils) shows every key.
        let job = Job(
            id: JobID.generate(at: now), customer: "acme", queue: "mail", type: "email.send",
            payload: try JobPayload(json: #"{"n":1}"#), priority: 1, state: .dead, runAt: now, attempt: 3,
            maxAttempts: 3, leaseToken: "token", leaseExpiresAt: now, workerID: "w1",
            errors: [AttemptError(attempt: 3, at: now, message: "boom")], deadReason: .exhausted, replayCount: 1,
            idempotencyKey: "k", createdAt: now, attemptedAt: now, finishedAt: now, firstFailedAt: now,
            lastFailedAt: now, result: try JobPayload(json: #"{"url":"/r"}"#),
            progress: try JobPayload(json: #"{"percent":100}"#))
        func keys(_ value: some Encodable) throws -> Set<String> {
            let object = try JSONSerialization.jsonObject(with: try JSONEncoder.conveyor().encode(value))
            return Set((object as? [String: Any] ?? [:]).keys)
        }
        let own = try keys(job)
        #expect(own.contains("lease_token"))
        #expect(try keys(JobResource(job: job)) == own.subtracting(["lease_token"]))
        #expect(try keys(ClaimedJob(job: job)) == own)
    }
}
