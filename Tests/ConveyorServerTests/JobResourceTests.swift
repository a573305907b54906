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
            progress: try JobPayload(json: #"{"percent":100}"#), schedule: "nightly", scheduledFor: now)
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

@Suite("HTTP API: the job event JSON")
struct EventResourceTests {
    @Test("an event's data, written by hand for speed, is byte for byte what its Encodable form makes, for every kind")
    func sameBytesAsEncoder() throws {
        let now = Date(unixMilliseconds: 1_800_000_000_123)
        // Names and texts that need escaping: quotes, backslashes, control characters, non-ASCII.
        let awkward = "boom \"quoted\" \\ back\nline\ttab \u{1} \u{1F} \u{7F} é 🚀 </script>"
        for kind in EventKind.allCases {
            for detail in [nil, awkward, #"{"percent":40,"step":"render"}"#] {
                let event = Event(
                    id: EventCursor(major: 42, minor: 7), kind: kind, customer: "acme", jobID: JobID.generate(at: now),
                    queue: "mail.eu", type: "report.build \"v2\"", attempt: 3, at: now,
                    runAt: detail == nil ? nil : now.addingTimeInterval(30),
                    detail: kind == .progress ? (detail == nil ? nil : #"{"percent":40}"#) : detail,
                    result: detail == nil ? nil : try JobPayload(json: #"{"url": "/r/1", "pages": 3.0}"#))
                let resource = EventResource(event: event)
                let encoded = String(decoding: try JSONEncoder.conveyor().encode(resource), as: UTF8.self)
                #expect(resource.data == encoded, "\(kind)")
            }
        }
    }
}
