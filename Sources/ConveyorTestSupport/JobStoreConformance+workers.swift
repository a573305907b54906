import ConveyorCore
import Testing

extension JobStoreConformance {
    static let workerChecks: [StoreConformanceCheck] = [
        .init("workers register, heartbeat, list and are removed") { h in
            let registration = try WorkerRegistration(
                id: "w-1", host: "box", pid: 42, queues: ["mail", "default"], concurrency: 4)
            let worker = try await h.store.registerWorker(registration)
            #expect(worker.startedAt == h.clock.now() && worker.lastHeartbeatAt == h.clock.now())
            #expect(worker.queues == ["mail", "default"])
            h.clock.advance(by: .seconds(10))
            _ = try await h.store.registerWorker(
                try WorkerRegistration(id: "w-2", host: "box", pid: 43, queues: ["mail"], concurrency: 1))
            h.clock.advance(by: .seconds(5))
            let beat = try await h.store.heartbeatWorker(id: "w-1", jobsRunning: 3)
            #expect(beat.lastHeartbeatAt == h.clock.now() && beat.jobsRunning == 3)
            #expect(beat.startedAt == worker.startedAt)
            let listed = try await h.store.workers()
            #expect(listed.map(\.id) == ["w-1", "w-2"])
            #expect(listed[1].isLive(at: h.clock.now(), timeout: .seconds(10)))
            #expect(!listed[1].isLive(at: h.clock.now(), timeout: .seconds(5)))
            try await h.store.removeWorker(id: "w-2")
            #expect(try await h.store.workers().map(\.id) == ["w-1"])
            await expectStoreError(.workerNotFound(id: "w-2")) {
                try await h.store.heartbeatWorker(id: "w-2", jobsRunning: 0)
            }
        }
    ]

    static let concurrencyChecks: [StoreConformanceCheck] = [
        .init("8 concurrent claimers drain 2,000 jobs, each completed exactly once") { h in
            let total = 2_000
            for chunk in stride(from: 0, to: total, by: 500) {
                let batch = try (chunk..<(chunk + 500)).map { n in
                    try NewJob(customer: "acme", queue: "default", type: "drain", payloadJSON: "{\"n\":\(n)}")
                }
                _ = try await h.store.enqueue(batch: batch)
            }
            let completed = try await withThrowingTaskGroup(of: [JobID].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var done: [JobID] = []
                        while true {
                            let jobs = try await h.claim(10, worker: "w-\(worker)")
                            if jobs.isEmpty { return done }
                            for job in jobs {
                                _ = try await h.store.complete(try #require(job.lease))
                                done.append(job.id)
                            }
                        }
                    }
                }
                return try await group.reduce(into: [JobID]()) { $0 += $1 }
            }
            #expect(completed.count == total)
            #expect(Set(completed).count == total)
            let counts = try await h.store.counts(customer: "acme")
            #expect(counts.first?.counts == [.completed: total])
        }
    ]
}
