import ConveyorCore
import Testing

extension JobStoreConformance {
    /// Claims in a loop until `claims` in a row come back empty; the ids taken.
    static func claimUntilEmpty(
        _ h: StoreHarness, limit: Int, queues: [String] = ["default"], worker: String = "worker-1"
    ) async throws -> [Job] {
        var taken: [Job] = []
        var empty = 0
        // A claim can come back empty while another claimer holds the last rows locked.
        while empty < 3 {
            let jobs = try await h.claim(limit, queues: queues, worker: worker)
            empty = jobs.isEmpty ? empty + 1 : 0
            taken += jobs
        }
        return taken
    }

    static let capChecks: [StoreConformanceCheck] = [
        .init("a customer's cap on a queue: at most that many of its jobs run there; a finished one frees a slot") {
            h in
            _ = try await h.store.setCap(queue: "default", customer: "acme", maxRunning: 2)
            try await enqueueMany(h, customer: "acme", count: 5)
            try await enqueueMany(h, customer: "globex", count: 2)
            try await h.enqueue(customer: "acme", queue: "other")
            let first = try await h.claim(10)
            #expect(first.filter { $0.customer == "acme" }.count == 2)
            #expect(first.filter { $0.customer == "globex" }.count == 2, "the cap holds back only acme")
            #expect(try await h.claim(10).isEmpty)
            #expect(try await h.claim(10, queues: ["other"]).count == 1, "another queue is not capped")
            let ticket = h.store.wakeups.ticket()
            _ = try await h.store.complete(try #require(first.first { $0.customer == "acme" }?.lease))
            #expect(try await h.claim(10).map(\.customer) == ["acme"])
            _ = try await h.store.setCap(queue: "default", customer: "acme", maxRunning: 4)
            #expect(await h.store.wakeups.wait(for: ["default"], after: ticket, timeout: .seconds(10)), "raising rings")
            #expect(try await h.claim(10).count == 2)
        },
        .init("a customer's cap across its queues counts its jobs on every queue") { h in
            _ = try await h.store.setCap(queue: nil, customer: "acme", maxRunning: 3)
            try await enqueueMany(h, customer: "acme", count: 4)
            for _ in 0..<4 { try await h.enqueue(customer: "acme", queue: "other") }
            try await h.enqueue(customer: "globex", queue: "other")
            let taken = try await h.claim(2, queues: ["other"])
            #expect(taken.count == 2)
            let rest = try await h.claim(10, queues: ["default", "other"])
            #expect(rest.filter { $0.customer == "acme" }.count == 2, "\(rest.map(\.customer))")
            #expect(try await h.claim(10, queues: ["default", "other"]).map(\.customer) == [])
        },
        .init("a queue's cap holds every customer together, shared fairly; other queues go on") { h in
            _ = try await h.store.setCap(queue: "default", customer: nil, maxRunning: 3)
            for customer in ["a", "b", "c"] { try await enqueueMany(h, customer: customer, count: 3) }
            try await h.enqueue(customer: "a", queue: "other")
            #expect(Set(try await h.claim(10).map(\.customer)) == ["a", "b", "c"])
            #expect(try await h.claim(10).isEmpty)
            #expect(try await h.claim(10, customer: "a").isEmpty, "a customer's own claim obeys it too")
            #expect(try await h.claim(10, queues: ["other"]).count == 1)
        },
        .init("a capped customer's waiting jobs hold back nobody, however early its turn") { h in
            _ = try await h.store.setCap(queue: nil, customer: "capped", maxRunning: 1)
            try await enqueueMany(h, customer: "capped", count: 50)
            try await enqueueMany(h, customer: "free", count: 50)
            // One claim at a time: every claim after the capped customer's one job hands out a job.
            var customers: [String] = []
            for _ in 0..<20 { customers += try await h.claim(1).map(\.customer) }
            #expect(customers.count == 20)
            #expect(customers.filter { $0 == "capped" }.count == 1)
        },
        .init("8 concurrent claimers never pass a cap of any kind") { h in
            _ = try await h.store.setCap(queue: nil, customer: "a", maxRunning: 3)
            _ = try await h.store.setCap(queue: "default", customer: "b", maxRunning: 2)
            _ = try await h.store.setCap(queue: "other", customer: nil, maxRunning: 5)
            for customer in ["a", "b", "c"] {
                try await enqueueMany(h, customer: customer, count: 40)
                for _ in 0..<10 { try await h.enqueue(customer: customer, queue: "other") }
            }
            for round in 0..<2 {
                let claimed = try await withThrowingTaskGroup(of: [Job].self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            try await claimUntilEmpty(
                                h, limit: 3, queues: worker.isMultiple(of: 2) ? ["default", "other"] : ["other"],
                                worker: "w-\(worker)")
                        }
                    }
                    return try await group.reduce(into: [Job]()) { $0 += $1 }
                }
                #expect(Set(claimed.map(\.id)).count == claimed.count, "round \(round): each job once")
                let onOther = claimed.filter { $0.queue == "other" }
                #expect(onOther.count == 5, "round \(round): the queue cap")
                #expect(claimed.filter { $0.customer == "a" }.count == 3, "round \(round): a's cap")
                #expect(
                    claimed.filter { $0.customer == "b" && $0.queue == "default" }.count == 2,
                    "round \(round): b's cap on default")
                #expect(
                    claimed.filter { $0.customer == "c" && $0.queue == "default" }.count == (round == 0 ? 40 : 0),
                    "round \(round): c is capped only on other")
                // Done: their slots free up for the next round.
                for job in claimed { _ = try await h.store.complete(try #require(job.lease)) }
            }
        },
        .init("a rescued job frees its slot; a scheduled or replayed job waits for one") { h in
            _ = try await h.store.setCap(queue: nil, customer: "acme", maxRunning: 1)
            let lost = try await h.enqueue()
            try await h.enqueue(start: .after(.seconds(60)))
            #expect(try await h.claim(10, lease: .seconds(5)).map(\.id) == [lost.id])
            h.clock.advance(by: .seconds(61))
            #expect(try await h.claim(10).isEmpty, "the scheduled job is due but the slot is taken")
            // The worker died: once its lease is stale the rescue frees the slot.
            let rescued = try await h.store.rescueStaleJobs(grace: .zero)
            #expect(rescued.map(\.id) == [lost.id])
            h.clock.advance(by: .seconds(600))  // past the rescued job's backoff
            let next = try await h.claimOne()
            #expect(try await h.claim(10).isEmpty)
            let dead = try await h.store.fail(try #require(next.lease), message: "fatal", retryable: false)
            #expect(dead.state == .dead)
            let other = try await h.claimOne()
            _ = try await h.store.replay(.ids([dead.id]))
            #expect(try await h.claim(10).isEmpty, "the replayed job waits for the slot")
            _ = try await h.store.complete(try #require(other.lease))
            #expect(try await h.claimOne().id == dead.id)
        },
        .init("caps are set, replaced, listed and removed; bad ones are refused") { h in
            let queueCap = try await h.store.setCap(queue: "default", customer: nil, maxRunning: 5)
            #expect(queueCap == ConcurrencyCap(queue: "default", customer: nil, maxRunning: 5))
            _ = try await h.store.setCap(queue: nil, customer: "acme", maxRunning: 1)
            let replaced = try await h.store.setCap(queue: nil, customer: "acme", maxRunning: 2)
            #expect(try await h.store.caps() == [replaced, queueCap])
            #expect(try await h.store.removeCap(queue: nil, customer: "acme"))
            #expect(try await h.store.removeCap(queue: nil, customer: "acme") == false)
            #expect(try await h.store.caps() == [queueCap])
            await #expect(throws: ValidationError.self) {
                try await h.store.setCap(queue: "default", customer: nil, maxRunning: 0)
            }
            await #expect(throws: ValidationError.self) {
                try await h.store.setCap(queue: nil, customer: nil, maxRunning: 3)
            }
        },
    ]

    static let quotaChecks: [StoreConformanceCheck] = [
        .init("a customer's backlog quota refuses a batch that would pass it, all or none") { h in
            _ = try await h.store.createCustomer("acme")
            #expect(try await h.store.setBacklogQuota(customer: "acme", quota: 3).backlogQuota == 3)
            try await enqueueMany(h, customer: "acme", count: 2)
            try await h.enqueue(customer: "acme", queue: "other", start: .after(.seconds(60)))
            await expectStoreError(.backlogQuotaExceeded(customer: "acme", quota: 3)) {
                try await enqueueMany(h, customer: "acme", count: 1)
            }
            #expect(try await h.totalJobs() == 3, "scheduled jobs count as waiting; nothing of the batch went in")
            try await enqueueMany(h, customer: "globex", count: 5)
            _ = try await h.claim(1, customer: "acme")
            await expectStoreError(.backlogQuotaExceeded(customer: "acme", quota: 3)) {
                try await enqueueMany(h, customer: "acme", count: 2)
            }
            try await enqueueMany(h, customer: "acme", count: 1)
            let key = try RequestIdempotency(key: "k-1", fingerprint: "f")
            await expectStoreError(.backlogQuotaExceeded(customer: "acme", quota: 3)) {
                try await h.store.enqueue(
                    try NewJob(customer: "acme", queue: "default", type: "t", payloadJSON: "{}"), idempotency: key)
            }
            #expect(try await h.totalJobs() == 9)
        },
        .init("the global backlog quota binds a customer without its own; its own replaces it") { h in
            let global = try #require(JobStoreConformance.options.backlogQuota)
            _ = try await h.store.createCustomer("acme")
            try await enqueueMany(h, customer: "acme", count: global)
            await expectStoreError(.backlogQuotaExceeded(customer: "acme", quota: global)) {
                try await h.enqueue(customer: "acme")
            }
            _ = try await h.store.setBacklogQuota(customer: "acme", quota: global + 1)
            try await h.enqueue(customer: "acme")
            #expect(try await h.store.setBacklogQuota(customer: "acme", quota: nil).backlogQuota == nil)
            await expectStoreError(.backlogQuotaExceeded(customer: "acme", quota: global)) {
                try await h.enqueue(customer: "acme")
            }
            await #expect(throws: ValidationError.self) {
                try await h.store.setBacklogQuota(customer: "acme", quota: 0)
            }
            await expectStoreError(.customerNotFound(name: "nobody")) {
                try await h.store.setBacklogQuota(customer: "nobody", quota: 5)
            }
        },
        .init("enqueues written separately are judged alone: a customer over its quota refuses only its own") { h in
            _ = try await h.store.createCustomer("noisy")
            _ = try await h.store.setBacklogQuota(customer: "noisy", quota: 2)
            try await h.enqueue(customer: "noisy")
            func job(_ customer: String, _ n: Int) throws -> NewJob {
                try NewJob(customer: customer, queue: "default", type: "t", payloadJSON: #"{"n":\#(n)}"#)
            }
            // noisy has room for one more: its first job of the commit goes in, the others are refused.
            let jobs = try [
                job("quiet", 1), job("noisy", 2), job("quiet", 3), job("noisy", 4), job("other", 5), job("noisy", 6),
            ]
            let results = await h.store.enqueue(separately: jobs)
            #expect(results.count == 6)
            for (index, customer) in [(0, "quiet"), (1, "noisy"), (2, "quiet"), (4, "other")] {
                let made = try results[index].get()
                #expect(made.customer == customer)
                #expect(made.payload.text == jobs[index].payload.text)
                #expect(try await h.store.job(id: made.id) == made, "committed")
            }
            for index in [3, 5] {
                #expect(throws: JobStoreError.backlogQuotaExceeded(customer: "noisy", quota: 2)) {
                    try results[index].get()
                }
            }
            #expect(try await h.totalJobs() == 5)
        },
        .init("concurrent enqueues never pass a backlog quota") { h in
            _ = try await h.store.createCustomer("acme")
            _ = try await h.store.setBacklogQuota(customer: "acme", quota: 25)
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var accepted = 0
                        for _ in 0..<10 {
                            do {
                                try await enqueueMany(h, customer: "acme", count: 2)
                                accepted += 2
                            } catch JobStoreError.backlogQuotaExceeded {}
                        }
                        return accepted
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(accepted == 24)
            #expect(try await h.totalJobs() == 24)
        },
    ]
}
