import ConveyorCore
import Testing

extension JobStoreConformance {
    static let leaseChecks: [StoreConformanceCheck] = [
        .init(
            "a lease held to another customer is refused as not found by every lease call, even with the right token; held to the job's own customer, it works"
        ) { h in
            try await h.enqueue(customer: "acme")
            let job = try await h.claimOne()
            let token = try #require(job.leaseToken)
            let foreign = Lease(jobID: job.id, token: token, customer: "globex")
            await expectStoreError(.notFound(id: job.id)) {
                try await h.store.heartbeat(foreign, extendBy: .seconds(10))
            }
            await expectStoreError(.notFound(id: job.id)) {
                try await h.store.recordProgress(foreign, try JobPayload(json: "1"))
            }
            await expectStoreError(.notFound(id: job.id)) { try await h.store.complete(foreign) }
            await expectStoreError(.notFound(id: job.id)) {
                try await h.store.complete(batch: [Completion(foreign)])[0].get()
            }
            await expectStoreError(.notFound(id: job.id)) {
                try await h.store.fail(foreign, message: "x", retryable: true)
            }
            await expectStoreError(.notFound(id: job.id)) { try await h.store.release(foreign, after: .zero) }
            #expect(try await h.store.job(id: job.id)?.state == .running, "nothing changed")
            let own = Lease(jobID: job.id, token: token, customer: "acme")
            _ = try await h.store.heartbeat(own, extendBy: .seconds(10))
            #expect(try await h.store.complete(batch: [Completion(own)])[0].get().state == .completed)
        },
        .init("a heartbeat extends the lease from now") { h in
            try await h.enqueue()
            let job = try await h.claimOne(lease: .seconds(30))
            h.clock.advance(by: .seconds(20))
            let beat = try await h.store.heartbeat(try #require(job.lease), extendBy: .seconds(30))
            #expect(beat.leaseExpiresAt == h.clock.now().adding(.seconds(30)))
            h.clock.advance(by: .seconds(25))
            let done = try await h.store.complete(try #require(job.lease))
            #expect(done.state == .completed)
        },
        .init("complete finishes the job once; a second complete is refused") { h in
            try await h.enqueue()
            let job = try await h.claimOne()
            let lease = try #require(job.lease)
            let done = try await h.store.complete(lease)
            #expect(done.state == .completed)
            #expect(done.finishedAt == h.clock.now())
            #expect(done.leaseToken == nil)
            await expectStoreError(.leaseLost(id: job.id)) { try await h.store.complete(lease) }
            #expect(try await h.reload(job) == done)
        },
        .init("a batch of completions applies each lease on its own") { h in
            for _ in 0..<3 { try await h.enqueue() }
            let jobs = try await h.claim(3)
            let leases = try jobs.map { try #require($0.lease) }
            _ = try await h.store.cancel(id: jobs[1].id)
            let unknown = Lease(jobID: JobID.generate(at: h.clock.now()), token: "t")
            // The first lease again at the end: a job completes once, the repeat finds it finished.
            let results = try await h.store.complete(batch: (leases + [unknown, leases[0]]).map { Completion($0) })
            #expect(try results[0].get().state == .completed)
            #expect(throws: JobStoreError.cancelled(id: jobs[1].id)) { try results[1].get() }
            #expect(try results[2].get().state == .completed)
            #expect(throws: JobStoreError.notFound(id: unknown.jobID)) { try results[3].get() }
            #expect(throws: JobStoreError.leaseLost(id: jobs[0].id)) { try results[4].get() }
            #expect(try await h.reload(jobs[1]).state == .cancelled)
            #expect(try await h.store.complete(batch: []).isEmpty)
        },
        .init("a completion keeps its result byte for byte, alone or in a batch; none stays none") { h in
            for _ in 0..<3 { try await h.enqueue() }
            let jobs = try await h.claim(3)
            let leases = try jobs.map { try #require($0.lease) }
            // Digits past a Double's, a duplicate name, an escape and a non-ASCII letter: all kept.
            let exact = try JobPayload(json: #"{"total": 12345678901234567890.50, "a": 1, "a": "\u00e9 é"}"#)
            let alone = try await h.store.complete(Completion(leases[0], result: exact))
            #expect(alone.result?.text == exact.text)
            let batch = try await h.store.complete(
                batch: [Completion(leases[1], result: try JobPayload(json: "[1.0,2]")), Completion(leases[2])])
            #expect(try batch[0].get().result?.text == "[1.0,2]")
            #expect(try batch[1].get().result == nil)
            #expect(try await h.reload(jobs[0]).result?.text == exact.text)
            #expect(try await h.reload(jobs[1]).result?.text == "[1.0,2]")
            #expect(try await h.reload(jobs[2]).result == nil)
            // A refused completion writes no result.
            try await h.enqueue()
            let other = try await h.claimOne()
            _ = try await h.store.cancel(id: other.id)
            await expectStoreError(.cancelled(id: other.id)) {
                try await h.store.complete(Completion(try #require(other.lease), result: exact))
            }
            #expect(try await h.reload(other).result == nil)
        },
        .init(
            "progress is kept byte for byte for the lease holder, stays with the finished job, and a new attempt starts without"
        ) { h in
            try await h.enqueue()
            let job = try await h.claimOne()
            let lease = try #require(job.lease)
            let report = try JobPayload(json: #"{"percent": 40.0, "step": "render"}"#)
            #expect(try await h.store.recordProgress(lease, report).progress == report)
            #expect(try await h.reload(job).progress?.text == report.text)
            await expectStoreError(.leaseLost(id: job.id)) {
                try await h.store.recordProgress(Lease(jobID: job.id, token: "forged"), try JobPayload(json: "1"))
            }
            #expect(try await h.reload(job).progress == report)
            // A failed attempt keeps its last progress until the retry is claimed.
            let failed = try await h.store.fail(lease, message: "boom", retryable: true)
            #expect(failed.progress == report)
            h.clock.advance(to: failed.runAt)
            let retry = try await h.claimOne()
            #expect(retry.progress == nil)
            #expect(try await h.reload(job).progress == nil)
            let last = try JobPayload(json: #"{"percent":100}"#)
            _ = try await h.store.recordProgress(try #require(retry.lease), last)
            #expect(try await h.store.complete(try #require(retry.lease)).progress == last)
            #expect(try await h.reload(job).progress == last)
        },
        .init("every lease operation with a wrong token is refused with leaseLost and changes nothing") { h in
            try await h.enqueue()
            let job = try await h.claimOne()
            let forged = Lease(jobID: job.id, token: "not-the-token")
            await expectStoreError(.leaseLost(id: job.id)) {
                try await h.store.heartbeat(forged, extendBy: .seconds(30))
            }
            await expectStoreError(.leaseLost(id: job.id)) { try await h.store.complete(forged) }
            await expectStoreError(.leaseLost(id: job.id)) {
                try await h.store.fail(forged, message: "x", retryable: true)
            }
            await expectStoreError(.leaseLost(id: job.id)) { try await h.store.release(forged, after: .zero) }
            #expect(try await h.reload(job) == job)
        },
        .init("an expired lease is refused even before the job is rescued") { h in
            try await h.enqueue()
            let job = try await h.claimOne(lease: .seconds(30))
            h.clock.advance(by: .seconds(30))
            await expectStoreError(.leaseLost(id: job.id)) { try await h.store.complete(try #require(job.lease)) }
            await expectStoreError(.leaseLost(id: job.id)) {
                try await h.store.heartbeat(try #require(job.lease), extendBy: .seconds(30))
            }
            #expect(try await h.reload(job) == job)
        },
        .init("a zombie worker's token is refused after its job was rescued and claimed by another") { h in
            try await h.enqueue()
            let zombie = try await h.claimOne(lease: .seconds(30))
            h.clock.advance(by: .seconds(31))
            #expect(try await h.store.rescueStaleJobs(grace: .zero).map(\.id) == [zombie.id])
            h.clock.advance(by: .seconds(3600))
            let current = try await h.claimOne()
            #expect(current.id == zombie.id)
            for attempt in [
                { try await h.store.complete(try #require(zombie.lease)) },
                { try await h.store.fail(try #require(zombie.lease), message: "late", retryable: false) },
                { try await h.store.heartbeat(try #require(zombie.lease), extendBy: .seconds(30)) },
                { try await h.store.release(try #require(zombie.lease), after: .zero) },
            ] as [@Sendable () async throws -> Job] {
                await expectStoreError(.leaseLost(id: zombie.id)) { try await attempt() }
            }
            #expect(try await h.reload(current) == current)
            #expect(try await h.store.complete(try #require(current.lease)).state == .completed)
        },
        .init("release gives the job back without spending the attempt") { h in
            try await h.enqueue(maxAttempts: 1)
            let job = try await h.claimOne()
            let released = try await h.store.release(try #require(job.lease), after: .zero)
            #expect(released.state == .available)
            #expect(released.attempt == 0)
            #expect(released.leaseToken == nil)
            let again = try await h.claimOne()
            #expect(again.attempt == 1)
            let later = try await h.store.release(try #require(again.lease), after: .seconds(120))
            #expect(later.state == .scheduled)
            #expect(later.runAt == h.clock.now().adding(.seconds(120)))
            #expect(try await h.claim().isEmpty)
            h.clock.advance(by: .seconds(120))
            #expect(try await h.claimOne().id == job.id)
        },
        .init("lease operations on an unknown job are refused with notFound") { h in
            let id = JobID.generate(at: h.clock.now())
            await expectStoreError(.notFound(id: id)) { try await h.store.complete(Lease(jobID: id, token: "t")) }
            let stored = try await h.store.job(id: id)
            #expect(stored == nil)
        },
    ]
}
