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
            let replayed = try await h.store.replay(.ids([dead.id]))
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
            #expect(try await h.store.replay(.ids([dead.id])).first?.replayCount == 2)
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
            #expect(replayed.map(\.id) == [mail.id])
            #expect(try await h.store.purge(.matching(try DeadLetterFilter(try JobFilter(queue: "mail")))) == 1)
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
            #expect(try await h.store.purge(.matching(try DeadLetterFilter(errorContains: "no such text"))) == 0)
            let early = try DeadLetterFilter(
                errorContains: "timeout", diedAfter: start, diedBefore: start.addingTimeInterval(30))
            #expect(try await h.store.replay(.matching(early)).map(\.id) == [smtp.id])
            #expect(try await h.store.purge(.matching(timeouts)) == 1)
            #expect(try await h.store.job(id: later.id) == nil)
            #expect(try await h.reload(other).state == .dead)
            #expect(throws: ValidationError.self) { try DeadLetterFilter(diedAfter: start, diedBefore: start) }
        },
        .init("a paced replay schedules the jobs at most that many a second, in id order") { h in
            var dead: [Job] = []
            for _ in 0..<4 { dead.append(try await deadJob(h, queue: "bulk")) }
            let now = h.clock.now()
            let replayed = try await h.store.replay(
                .matching(try DeadLetterFilter(try JobFilter(queue: "bulk"))), perSecond: 2)
            #expect(replayed.map(\.id) == dead.map(\.id).sorted())
            #expect(replayed.map(\.state) == [.available, .scheduled, .scheduled, .scheduled])
            #expect(replayed.map { $0.runAt.timeIntervalSince(now) } == [0, 0.5, 1, 1.5])
            // Claims take them as their turns come.
            #expect(try await h.claim(10, queues: ["bulk"]).count == 1)
            h.clock.advance(by: .seconds(1))
            #expect(try await h.claim(10, queues: ["bulk"]).count == 2)
        },
        .init("purge by ids deletes only dead jobs and refuses any other") { h in
            let dead = try await deadJob(h)
            let live = try await h.enqueue()
            await expectStoreError(.illegalTransition(id: live.id, from: .available, event: .purge)) {
                try await h.store.purge(.ids([dead.id, live.id]))
            }
            #expect(try await h.store.job(id: dead.id) != nil)
            #expect(try await h.store.purge(.ids([dead.id])) == 1)
            #expect(try await h.store.job(id: dead.id) == nil)
            #expect(try await h.store.job(id: live.id) != nil)
        },
        .init("a replayed job gives up its idempotency key when a newer live job holds it") { h in
            let dead = try await deadJob(h, key: "invoice-7")
            let newer = try await h.enqueue(queue: "default", idempotencyKey: "invoice-7")
            #expect(newer.id != dead.id)
            let replayed = try #require(try await h.store.replay(.ids([dead.id])).first)
            #expect(replayed.idempotencyKey == nil)
            #expect(try await h.reload(newer).idempotencyKey == "invoice-7")
        },
    ]
}
