import ConveyorCore
import Testing

extension JobStoreConformance {
    static let failureChecks: [StoreConformanceCheck] = [
        .init("retry delays grow exponentially with jitter and stop at the cap") { h in
            let policy = JobStoreConformance.options.retryPolicy
            try await h.enqueue(maxAttempts: 10)
            var delays: [Double] = []
            for attempt in 1...9 {
                let job = try await h.claimOne()
                #expect(job.attempt == attempt)
                let failed = try await h.store.fail(
                    try #require(job.lease), message: "error \(attempt)", retryable: true)
                #expect(failed.state == .retryable)
                let delay = failed.runAt.timeIntervalSince(h.clock.now())
                let nominal = min(policy.base.timeInterval * Double(1 << (attempt - 1)), policy.cap.timeInterval)
                #expect(delay >= nominal * (1 - policy.jitter) - 0.001, "attempt \(attempt): \(delay)s")
                #expect(
                    delay <= min(nominal * (1 + policy.jitter), policy.cap.timeInterval) + 0.001,
                    "attempt \(attempt): \(delay)s")
                delays.append(delay)
                h.clock.advance(to: failed.runAt)
            }
            // Doubling outgrows a ±10% jitter, until the cap flattens it.
            #expect(delays[1] > delays[0] && delays[2] > delays[1] && delays[3] > delays[2])
            #expect(delays.suffix(3).allSatisfy { $0 <= policy.cap.timeInterval + 0.001 })
        },
        .init("a job that fails its last attempt goes dead with reason exhausted and every error kept") { h in
            try await h.enqueue(maxAttempts: 3)
            var last: Job?
            for attempt in 1...3 {
                let job = try await h.claimOne()
                last = try await h.store.fail(try #require(job.lease), message: "failure \(attempt)", retryable: true)
                h.clock.advance(by: .seconds(3600))
            }
            let dead = try #require(last)
            #expect(dead.state == .dead)
            #expect(dead.deadReason == .exhausted)
            #expect(dead.errors.map(\.message) == ["failure 1", "failure 2", "failure 3"])
            #expect(dead.errors.map(\.attempt) == [1, 2, 3])
            #expect(dead.finishedAt != nil)
            #expect(dead.firstFailedAt != nil && dead.firstFailedAt! < dead.lastFailedAt!)
            #expect(try await h.claim().isEmpty)
        },
        .init("a non-retryable error sends the job straight to the dead-letter queue") { h in
            try await h.enqueue(maxAttempts: 5)
            let job = try await h.claimOne()
            let dead = try await h.store.fail(try #require(job.lease), message: "invalid address", retryable: false)
            #expect(dead.state == .dead)
            #expect(dead.deadReason == .nonRetryable)
            #expect(dead.attempt == 1)
            #expect(try await h.reload(job) == dead)
        },
        .init("the error history is bounded in count and each message is truncated") { h in
            let limits = JobStoreConformance.options.limits
            try await h.enqueue(maxAttempts: limits.errorHistoryCount + 2)
            for attempt in 1...(limits.errorHistoryCount + 2) {
                let job = try await h.claimOne()
                let message = "attempt \(attempt) " + String(repeating: "é", count: limits.errorMessageBytes)
                _ = try await h.store.fail(try #require(job.lease), message: message, retryable: true)
                h.clock.advance(by: .seconds(3600))
            }
            let dead = try #require(try await h.store.list(JobQuery(filter: JobFilter(states: [.dead]))).jobs.first)
            #expect(dead.errors.count == limits.errorHistoryCount)
            #expect(dead.errors.map(\.attempt) == Array(3...(limits.errorHistoryCount + 2)))
            #expect(dead.errors.allSatisfy { $0.message.utf8.count <= limits.errorMessageBytes })
            #expect(dead.errors.allSatisfy { $0.message.hasSuffix("…") })
        },
    ]

    static let staleChecks: [StoreConformanceCheck] = [
        .init("a job whose lease expired past the grace is stale and rescued to retryable") { h in
            try await h.enqueue(maxAttempts: 3)
            let job = try await h.claimOne(lease: .seconds(30))
            h.clock.advance(by: .seconds(40))
            #expect(try await h.store.staleJobs(grace: .seconds(15)).isEmpty, "within the grace it is not stale yet")
            #expect(try await h.store.rescueStaleJobs(grace: .seconds(15)).isEmpty)
            h.clock.advance(by: .seconds(5))
            #expect(try await h.store.staleJobs(grace: .seconds(15)).map(\.id) == [job.id])
            let rescued = try await h.store.rescueStaleJobs(grace: .seconds(15))
            #expect(rescued.map(\.id) == [job.id])
            #expect(rescued.first?.state == .retryable)
            #expect(rescued.first?.errors.last?.message == Job.staleErrorMessage)
            #expect(rescued.first?.leaseToken == nil)
            #expect(try await h.store.staleJobs(grace: .seconds(15)).isEmpty)
        },
        .init("a stale job on its last attempt goes dead with reason stale") { h in
            try await h.enqueue(maxAttempts: 1)
            let job = try await h.claimOne(lease: .seconds(30))
            h.clock.advance(by: .seconds(31))
            let rescued = try await h.store.rescueStaleJobs(grace: .zero)
            #expect(rescued.map(\.state) == [.dead])
            #expect(rescued.first?.deadReason == .stale)
            #expect(try await h.reload(job).state == .dead)
        },
        .init("a job kept alive by heartbeats is never stale") { h in
            try await h.enqueue()
            let job = try await h.claimOne(lease: .seconds(30))
            for _ in 0..<5 {
                h.clock.advance(by: .seconds(20))
                _ = try await h.store.heartbeat(try #require(job.lease), extendBy: .seconds(30))
                #expect(try await h.store.rescueStaleJobs(grace: .zero).isEmpty)
            }
            #expect(try await h.store.complete(try #require(job.lease)).state == .completed)
        },
    ]
}
