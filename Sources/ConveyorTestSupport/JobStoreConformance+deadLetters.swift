import ConveyorCore
import Foundation
import Testing

extension JobStoreConformance {
    /// Enqueues a job and fails it non-retryably, returning it dead.
    static func deadJob(
        _ h: StoreHarness, queue: String = "default", type: String = "email.send", key: String? = nil,
        error: String = "poison"
    )
        async throws -> Job
    {
        try await h.enqueue(queue: queue, type: type, idempotencyKey: key)
        let job = try #require(try await h.claim(1, queues: [queue]).first)
        return try await h.store.fail(try #require(job.lease), message: error, retryable: false)
    }

    static let deadLetterChecks: [StoreConformanceCheck] = [
        .init("replay moves a dead job back to available with a fresh budget, counting the replay") { h in
            let dead = try await deadJob(h)
            let replayed = try await h.store.replay(.ids([dead.id])).jobs
            #expect(replayed.count == 1)
            let job = try #require(replayed.first)
            #expect(job.state == .available)
            #expect(job.attempt == 0)
            #expect(job.replayCount == 1)
            #expect(job.deadReason == nil)
            #expect(job.finishedAt == nil)
            #expect(job.errors == dead.errors, "the error history survives a replay")
            let again = try await h.claimOne()
            #expect(again.id == dead.id && again.attempt == 1)
            let deadAgain = try await h.store.fail(try #require(again.lease), message: "still poison", retryable: false)
            #expect(try await h.store.replay(.ids([dead.id])).jobs.first?.replayCount == 2)
            #expect(deadAgain.errors.count == 2)
        },
        .init("replay by ids is all or nothing: a job that is not dead refuses the whole request") { h in
            let dead = try await deadJob(h)
            let live = try await h.enqueue(queue: "other")
            await expectStoreError(.illegalTransition(id: live.id, from: .available, event: .replay)) {
                try await h.store.replay(.ids([dead.id, live.id]))
            }
            #expect(try await h.reload(dead) == dead)
            let unknown = JobID.generate(at: h.clock.now())
            await expectStoreError(.notFound(id: unknown)) { try await h.store.replay(.ids([dead.id, unknown])) }
            #expect(try await h.reload(dead) == dead)
        },
        .init("replay and purge by filter touch only the matching dead jobs") { h in
            let mail = try await deadJob(h, queue: "mail")
            let mailOther = try await deadJob(h, queue: "mail", type: "sms.send")
            let billing = try await deadJob(h, queue: "billing")
            try await h.enqueue(queue: "mail")
            let replayed = try await h.store.replay(
                .matching(try DeadLetterFilter(try JobFilter(queue: "mail", type: "email.send"))))
            #expect(replayed.jobs.map(\.id) == [mail.id] && replayed.next == nil)
            #expect(
                try await h.store.purge(.matching(try DeadLetterFilter(try JobFilter(queue: "mail")))).jobs.count == 1)
            #expect(try await h.store.job(id: mailOther.id) == nil)
            #expect(try await h.reload(billing).state == .dead)
            #expect(try await h.reload(mail).state == .available)
            #expect(try await h.totalJobs() == 3)
        },
        .init("replay and purge filter by error text (any case) and by when the job died") { h in
            let start = h.clock.now()
            let smtp = try await deadJob(h, error: "SMTP timeout after 30 s")
            h.clock.advance(by: .seconds(60))
            let later = try await deadJob(h, error: "smtp timeout again")
            let other = try await deadJob(h, error: "bad address")
            let timeouts = try DeadLetterFilter(errorContains: "smtp TIMEOUT")
            #expect(
                try await h.store.purge(.matching(try DeadLetterFilter(errorContains: "no such text"))).jobs.isEmpty)
            let early = try DeadLetterFilter(
                errorContains: "timeout", diedAfter: start, diedBefore: start.addingTimeInterval(30))
            #expect(try await h.store.replay(.matching(early)).jobs.map(\.id) == [smtp.id])
            #expect(try await h.store.purge(.matching(timeouts)).jobs.count == 1)
            #expect(try await h.store.job(id: later.id) == nil)
            #expect(try await h.reload(other).state == .dead)
            #expect(throws: ValidationError.self) { try DeadLetterFilter(diedAfter: start, diedBefore: start) }
        },
        .init("a paced replay schedules the jobs at most that many a second, in id order") { h in
            var dead: [Job] = []
            for _ in 0..<4 { dead.append(try await deadJob(h, queue: "bulk")) }
            let now = h.clock.now()
            let replayed = try await h.store.replay(
                .matching(try DeadLetterFilter(try JobFilter(queue: "bulk"))), perSecond: 2
            ).jobs
            #expect(replayed.map(\.id) == dead.map(\.id).sorted())
            #expect(replayed.map(\.state) == [.available, .scheduled, .scheduled, .scheduled])
            #expect(replayed.map { $0.runAt.timeIntervalSince(now) } == [0, 0.5, 1, 1.5])
            // Claims take them as their turns come.
            #expect(try await h.claim(10, queues: ["bulk"]).count == 1)
            h.clock.advance(by: .seconds(1))
            #expect(try await h.claim(10, queues: ["bulk"]).count == 2)
        },
        .init("by filter a call reads at most its limit of dead jobs; the next goes on where it stopped, at one pace") {
            h in
            var dead: [Job] = []
            for n in 0..<7 { dead.append(try await deadJob(h, queue: "bulk", error: n == 3 ? "other" : "poison")) }
            let ids = dead.map(\.id).sorted()
            let now = h.clock.now()
            var selection: DeadLetterSelection? = .matching(
                try DeadLetterFilter(try JobFilter(queue: "bulk"), errorContains: "poison", limit: 3))
            var batches: [DeadLetterBatch] = []
            while let current = selection {
                let batch = try await h.store.replay(current, perSecond: 4)
                batches.append(batch)
                selection = current.continued(after: batch)
            }
            // Calls of three read (the one that failed otherwise is read, not replayed); the last
            // read fewer, so nothing more can match.
            #expect(batches.map(\.jobs.count) == [3, 2, 1])
            #expect(batches.map(\.next) == [ids[2], ids[5], nil])
            #expect(batches.flatMap(\.jobs).map(\.id) == ids.filter { $0 != dead[3].id })
            #expect(
                batches.flatMap(\.jobs).map { $0.runAt.timeIntervalSince(now) } == [0, 0.25, 0.5, 0.75, 1, 1.25],
                "one pace across the calls")
            #expect(try await h.reload(dead[3]).state == .dead)
            #expect(throws: ValidationError.self) { try DeadLetterFilter(limit: 1001) }
            let purged = try await h.store.purge(.matching(try DeadLetterFilter(limit: 1)))
            #expect(purged.jobs.map(\.id) == [dead[3].id] && purged.next == dead[3].id)
        },
        .init("purge by ids deletes only dead jobs and refuses any other") { h in
            let dead = try await deadJob(h)
            let live = try await h.enqueue()
            await expectStoreError(.illegalTransition(id: live.id, from: .available, event: .purge)) {
                try await h.store.purge(.ids([dead.id, live.id]))
            }
            #expect(try await h.store.job(id: dead.id) != nil)
            #expect(try await h.store.purge(.ids([dead.id])).jobs.map(\.id) == [dead.id])
            #expect(try await h.store.job(id: dead.id) == nil)
            #expect(try await h.store.job(id: live.id) != nil)
        },
        .init("a replayed job gives up its idempotency key when a newer live job holds it") { h in
            let dead = try await deadJob(h, key: "invoice-7")
            let newer = try await h.enqueue(queue: "default", idempotencyKey: "invoice-7")
            #expect(newer.id != dead.id)
            let replayed = try #require(try await h.store.replay(.ids([dead.id])).jobs.first)
            #expect(replayed.idempotencyKey == nil)
            #expect(try await h.reload(newer).idempotencyKey == "invoice-7")
        },
    ]
}
