import ConveyorCore
import Foundation
import Testing

extension JobStoreConformance {
    static let healthChecks: [StoreConformanceCheck] = [
        .init("running jobs are counted per customer and queue; finished and waiting ones are not") { h in
            for _ in 0..<3 { try await h.enqueue(customer: "acme") }
            try await h.enqueue(customer: "globex", queue: "mail")
            let first = try await h.claim(1, customer: "acme")
            _ = try await h.claim(1, customer: "acme")
            _ = try await h.claim(1, queues: ["mail"])
            _ = try await h.store.complete(try #require(first.first?.lease))
            let running = try await h.store.running().sorted { ($0.customer, $0.queue) < ($1.customer, $1.queue) }
            #expect(
                running == [
                    QueueCounts(customer: "acme", queue: "default", counts: [.running: 1]),
                    QueueCounts(customer: "globex", queue: "mail", counts: [.running: 1]),
                ])
        },
        .init(
            "a queue's backlog counts its jobs ready to run and dates the oldest; running and future jobs are not in it"
        ) {
            h in
            let start = h.clock.now()
            try await h.enqueue(queue: "default")
            try await h.enqueue(queue: "default", start: .after(.seconds(60)))
            try await h.enqueue(queue: "busy")
            _ = try await h.claim(queues: ["busy"])
            h.clock.advance(by: .seconds(10))
            try await h.enqueue(queue: "default")
            try await h.enqueue(customer: "globex", queue: "mail")
            let backlogs = try await h.store.backlogs().sorted { ($0.customer, $0.queue) < ($1.customer, $1.queue) }
            #expect(
                backlogs == [
                    QueueBacklog(customer: "acme", queue: "default", ready: 2, oldestReadySince: start),
                    QueueBacklog(customer: "globex", queue: "mail", ready: 1, oldestReadySince: h.clock.now()),
                ])
            // Its run time come, the scheduled job is ready too (and still dated by the oldest).
            h.clock.advance(by: .seconds(60))
            #expect(try await h.store.backlogs().first { $0.queue == "default" }?.ready == 3)
        },
        .init("the dead-letter count is the number of dead jobs") { h in
            #expect(try await h.store.deadLetterCount() == 0)
            for _ in 0..<3 { _ = try await deadJob(h) }
            try await h.enqueue()
            #expect(try await h.store.deadLetterCount() == 3)
            #expect(
                try await h.store.deadLetterCount()
                    == h.store.counts(customer: nil).reduce(0) { $0 + ($1.counts[.dead] ?? 0) })
        },
        .init("recent failures are the jobs whose last attempt failed after a time, latest first, up to a limit") { h in
            try await h.enqueue(queue: "q", maxAttempts: 1)
            try await h.enqueue(queue: "q")
            try await h.enqueue(queue: "q")
            try await h.enqueue(queue: "ok")
            let early = try await h.claimOne(queues: ["q"])
            _ = try await h.store.fail(try #require(early.lease), message: "first", retryable: false)
            let since = h.clock.now()
            h.clock.advance(by: .seconds(1))
            let second = try await h.claimOne(queues: ["q"])
            _ = try await h.store.fail(try #require(second.lease), message: "second", retryable: true)
            h.clock.advance(by: .seconds(1))
            let third = try await h.claimOne(queues: ["q"], lease: .seconds(5))
            h.clock.advance(by: .seconds(10))
            _ = try await h.store.rescueStaleJobs(grace: .zero)
            let fine = try await h.claimOne(queues: ["ok"])
            _ = try await h.store.complete(try #require(fine.lease))
            let recent = try await h.store.recentFailures(since: since, limit: 10)
            #expect(recent.map(\.id) == [third.id, second.id], "the failure at `since` itself is not after it")
            #expect(recent.first?.errors.last?.message == Job.staleErrorMessage)
            #expect(try await h.store.recentFailures(since: since, limit: 1).map(\.id) == [third.id])
            #expect(try await h.store.recentFailures(since: .distantPast, limit: 10).count == 3)
        },
        .init("the leader of a role is named with its process and the time it took the role; nobody once it stops") {
            h in
            let elector = h.store
            #expect(try await elector.leader(of: "health-check") == nil)
            let (entered, signal) = AsyncStream.makeStream(of: Void.self)
            let campaign = Task {
                try await elector.lead("health-check", retry: .milliseconds(100)) {
                    signal.yield()
                    try await Task.sleep(for: .seconds(3600))
                }
            }
            var waiting = entered.makeAsyncIterator()
            _ = await waiting.next()
            let leader = try #require(try await elector.leader(of: "health-check"))
            #expect(leader.holder.contains(":\(ProcessInfo.processInfo.processIdentifier)/"))
            #expect(leader.since == h.clock.now())
            #expect(try await elector.leader(of: "another-role") == nil)
            campaign.cancel()
            _ = await campaign.result
            #expect(try await elector.leader(of: "health-check") == nil)
        },
    ]
}
