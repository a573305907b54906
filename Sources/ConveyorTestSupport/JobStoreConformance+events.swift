import ConveyorCore
import Foundation
import Testing

extension JobStoreConformance {
    static let eventChecks: [StoreConformanceCheck] = [
        .init("every change of a job is recorded as its event, in order, with what the customer needs of it") { h in
            let start = try await h.store.newestEventCursor()
            let job = try await h.enqueue(maxAttempts: 2)
            let first = try await h.claimOne()
            let report = try JobPayload(json: #"{"percent": 40.0}"#)
            _ = try await h.store.recordProgress(try #require(first.lease), report)
            let failed = try await h.store.fail(try #require(first.lease), message: "smtp refused", retryable: true)
            h.clock.advance(to: failed.runAt)
            let second = try await h.claimOne()
            let result = try JobPayload(json: #"{"url": "/r/1", "n": 1.50}"#)
            _ = try await h.store.complete(Completion(try #require(second.lease), result: result))
            let cancelled = try await h.enqueue()
            _ = try await h.store.cancel(id: cancelled.id)
            try await h.enqueue(maxAttempts: 1)
            let dying = try await h.claimOne()
            _ = try await h.store.fail(try #require(dying.lease), message: "gone", retryable: false)

            // On PostgreSQL an event is readable once every older transaction has ended, other
            // tests' included.
            var events: [Event] = []
            try await poll("the eleven events to be readable") {
                events = try await h.store.events(after: start, customer: "acme", limit: 100)
                return events.count == 11
            }
            #expect(
                events.map { "\($0.kind.rawValue) \($0.attempt)" } == [
                    "job.enqueued 0", "job.started 1", "job.progress 1", "job.failed 1", "job.started 2",
                    "job.completed 2", "job.enqueued 0", "job.cancelled 0", "job.enqueued 0", "job.started 1",
                    "job.dead 1",
                ])
            #expect(
                events.prefix(6).allSatisfy { $0.jobID == job.id && $0.customer == "acme" && $0.queue == "default" })
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.id < $1.id }, "ids in stream order")
            #expect(events[0].runAt == job.runAt)
            #expect(events[2].detail == report.text)
            #expect(events[3].detail == "smtp refused" && events[3].runAt == failed.runAt)
            #expect(events[5].result?.text == result.text, "the result byte for byte")
            #expect(events[10].detail == "gone")
            // Paged from any cursor; another customer sees none of them.
            #expect(
                try await h.store.events(after: events[4].id, customer: "acme", limit: 2).map(\.id) == [
                    events[5].id, events[6].id,
                ])
            #expect(try await h.store.events(after: start, customer: "globex", limit: 100).isEmpty)
            #expect(try await h.store.events(after: start, customer: nil, limit: 100).map(\.id) == events.map(\.id))
            #expect(try await h.store.newestEventCursor() == events.last?.id)
        },
        .init("events before a time are pruned, and the newest pruned is remembered") { h in
            let start = try await h.store.newestEventCursor()
            let old = try await h.enqueue()
            h.clock.advance(by: .seconds(3600))
            let recent = try await h.enqueue()
            #expect(try await h.store.prunedEventCursor() == nil)
            try await poll("both events to be readable") {
                try await h.store.events(after: start, customer: nil, limit: 100).count == 2
            }
            #expect(try await h.store.pruneEvents(olderThan: .seconds(60)) == 1)
            let kept = try await h.store.events(after: start, customer: nil, limit: 100)
            #expect(kept.map(\.jobID) == [recent.id])
            let pruned = try #require(try await h.store.prunedEventCursor())
            #expect(pruned < kept[0].id)
            #expect(!kept.contains { $0.jobID == old.id })
        },
    ]
}
