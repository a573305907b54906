import ConveyorCore
import Foundation
import Testing

extension JobStoreConformance {
    static let listingChecks: [StoreConformanceCheck] = [
        .init("a ping answers and leaves the jobs as they were") { h in
            let job = try await h.enqueue()
            try await h.store.ping()
            #expect(try await h.store.job(id: job.id) == job)
            #expect(try await h.store.list(JobQuery(filter: .all)).jobs.map(\.id) == [job.id])
        },
        .init("listing filters by customer, queue, state and type, newest first") { h in
            let a = try await h.enqueue(customer: "acme", queue: "mail", type: "email.send")
            let b = try await h.enqueue(customer: "acme", queue: "mail", type: "sms.send")
            let c = try await h.enqueue(customer: "globex", queue: "mail", type: "email.send")
            let d = try await h.enqueue(customer: "acme", queue: "billing", type: "email.send")
            let running = try #require(try await h.claim(1, queues: ["billing"]).first)
            func ids(_ filter: JobFilter) async throws -> [JobID] {
                try await h.store.list(JobQuery(filter: filter)).jobs.map(\.id)
            }
            #expect(try await ids(.all) == [d.id, c.id, b.id, a.id])
            #expect(try await ids(try JobFilter(customer: "acme")) == [d.id, b.id, a.id])
            #expect(try await ids(try JobFilter(customer: "acme", queue: "mail")) == [b.id, a.id])
            #expect(try await ids(try JobFilter(type: "email.send")) == [d.id, c.id, a.id])
            #expect(try await ids(try JobFilter(states: [.running])) == [running.id])
            #expect(
                try await ids(try JobFilter(states: [.available, .running], type: "email.send")) == [d.id, c.id, a.id])
            #expect(try await ids(try JobFilter(customer: "initech")).isEmpty)
        },
        .init("pagination has no gaps or repeats while jobs are being added") { h in
            var original: [JobID] = []
            for _ in 0..<23 { original.append(try await h.enqueue().id) }
            var seen: [JobID] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await h.store.list(JobQuery(limit: 5, cursor: cursor))
                seen += page.jobs.map(\.id)
                cursor = page.nextCursor
                pages += 1
                // Producers keep going between page requests.
                try await h.enqueue()
                try await h.enqueue(queue: "other")
            } while cursor != nil && pages < 50
            #expect(pages == 5)
            #expect(seen.count == Set(seen).count, "no job repeats")
            #expect(Set(original).isSubset(of: Set(seen)), "no job that existed at the start is skipped")
        },
        .init("counts per state per queue add up to every job") { h in
            for _ in 0..<3 { try await h.enqueue(queue: "mail") }
            try await h.enqueue(queue: "mail", start: .after(.seconds(60)))
            try await h.enqueue(customer: "globex", queue: "mail")
            _ = try await h.claim(1, queues: ["mail"], customer: "acme")
            let counts = try await h.store.counts(customer: nil)
            let acme = try #require(counts.first { $0.customer == "acme" && $0.queue == "mail" })
            #expect(acme.counts == [.available: 2, .running: 1, .scheduled: 1])
            let globex = try #require(counts.first { $0.customer == "globex" })
            #expect(globex.counts == [.available: 1])
            #expect(try await h.store.counts(customer: "globex").map(\.customer) == ["globex"])
            #expect(try await h.totalJobs() == 5)
        },
        .init("throughput counts each minute's completed, failed and dead jobs per customer, from a given time") { h in
            let start = h.clock.now()
            // Before the window: not counted.
            try await h.enqueue()
            _ = try await h.store.complete(try #require(try await h.claimOne().lease))
            h.clock.advance(by: .seconds(120))
            let since = h.clock.now()
            try await h.enqueue()
            try await h.enqueue()
            try await h.enqueue(customer: "globex")
            try await h.enqueue(maxAttempts: 1)
            for _ in 0..<2 {
                let done = try #require(try await h.claim(1, customer: "acme").first)
                _ = try await h.store.complete(try #require(done.lease))
            }
            h.clock.advance(by: .seconds(60))
            let globex = try #require(try await h.claim(1, customer: "globex").first)
            _ = try await h.store.fail(try #require(globex.lease), message: "smtp down", retryable: true)
            let last = try #require(try await h.claim(1, customer: "acme").first)
            _ = try await h.store.fail(try #require(last.lease), message: "bad", retryable: false)
            let minutes = try await h.store.throughput(since: since)
            func minute(_ date: Date) -> Date {
                Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
            }
            let first = minute(since)
            let second = minute(since.addingTimeInterval(60))
            #expect(
                minutes == [
                    ThroughputMinute(minute: first, customer: "acme", completed: 2),
                    ThroughputMinute(minute: second, customer: "acme", failed: 1, dead: 1),
                    ThroughputMinute(minute: second, customer: "globex", failed: 1),
                ])
            #expect(try await h.store.throughput(since: start).reduce(0) { $0 + $1.completed } == 3)
        },
        .init("live counts are the counts of the waiting, running and dead jobs, without the finished others") { h in
            for _ in 0..<3 { try await h.enqueue(queue: "mail") }
            try await h.enqueue(queue: "mail", start: .after(.seconds(60)))
            try await h.enqueue(customer: "globex", queue: "mail", maxAttempts: 1)
            try await h.enqueue(customer: "globex", queue: "mail")
            try await h.enqueue(customer: "globex", queue: "mail")
            let retrying = try #require(try await h.claim(1, queues: ["mail"], customer: "acme").first)
            _ = try await h.store.fail(try #require(retrying.lease), message: "later", retryable: true)
            _ = try await h.claim(1, queues: ["mail"], customer: "acme")
            let dying = try #require(try await h.claim(1, queues: ["mail"], customer: "globex").first)
            _ = try await h.store.fail(try #require(dying.lease), message: "no", retryable: false)
            let done = try #require(try await h.claim(1, queues: ["mail"], customer: "globex").first)
            _ = try await h.store.complete(try #require(done.lease))
            let cancelled = try #require(
                try await h.store.list(JobQuery(filter: try JobFilter(customer: "globex", states: [.available]))).jobs
                    .first)
            _ = try await h.store.cancel(id: cancelled.id)
            let live = try await h.store.liveCounts()
            #expect(
                live == [
                    QueueCounts(
                        customer: "acme", queue: "mail",
                        counts: [.available: 1, .running: 1, .retryable: 1, .scheduled: 1]),
                    QueueCounts(customer: "globex", queue: "mail", counts: [.dead: 1]),
                ])
            let liveStates: Set<JobState> = [.scheduled, .available, .running, .retryable, .dead]
            let all = try await h.store.counts(customer: nil).map { counts in
                QueueCounts(
                    customer: counts.customer, queue: counts.queue,
                    counts: counts.counts.filter { liveStates.contains($0.key) })
            }.filter { !$0.counts.isEmpty }
            #expect(live == all)
        },
    ]
}
