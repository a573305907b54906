import ConveyorCore
import Testing

extension JobStoreConformance {
    /// Claims `count` jobs one at a time and returns their customers in claim order.
    static func claimCustomers(_ h: StoreHarness, _ count: Int, limit: Int = 1) async throws -> [String] {
        var customers: [String] = []
        while customers.count < count {
            let jobs = try await h.claim(limit)
            if jobs.isEmpty { break }
            customers += jobs.map(\.customer)
        }
        return customers
    }

    static func enqueueMany(_ h: StoreHarness, customer: String, count: Int, priority: Int = 0) async throws {
        let batch = try (0..<count).map { n in
            try NewJob(
                customer: customer, queue: "default", type: "t", payloadJSON: "{\"n\":\(n)}", priority: priority)
        }
        _ = try await h.store.enqueue(batch: batch)
    }

    static let fairnessChecks: [StoreConformanceCheck] = [
        .init("a customer arriving on a busy queue is served at once, however deep the other's backlog") { h in
            try await enqueueMany(h, customer: "hog", count: 300)
            _ = try await claimCustomers(h, 50, limit: 10)
            try await enqueueMany(h, customer: "small", count: 5)
            let next = try await claimCustomers(h, 10)
            // Both at the same virtual time from then on: they alternate.
            #expect(next.filter { $0 == "small" }.count == 5, "\(next)")
            #expect(Array(next.prefix(2)).sorted() == ["hog", "small"], "\(next)")
        },
        .init("a customer alone on a queue gets every job a claim asks for") { h in
            try await enqueueMany(h, customer: "solo", count: 30)
            #expect(try await h.claim(25).count == 25)
            #expect(try await h.claim(25).count == 5)
        },
        .init("a claim takes runs of a few customers' jobs, and every customer gets its turn in the next claims") { h in
            let names = (0..<20).map { "c\($0)" }
            for name in names { try await enqueueMany(h, customer: name, count: 8) }
            let first = try await h.claim(16)
            #expect(first.count == 16)
            #expect(Set(first.map(\.customer)).count == FairClaim.candidateCount(limit: 16), "\(first.map(\.customer))")
            // Five claims of 16 give each of the 20 customers 4: the passes even out over claims.
            var counts = Dictionary(grouping: first, by: \.customer).mapValues(\.count)
            for _ in 0..<4 {
                for job in try await h.claim(16) { counts[job.customer, default: 0] += 1 }
            }
            #expect(counts == Dictionary(uniqueKeysWithValues: names.map { ($0, 4) }), "\(counts)")
        },
        .init("claims over many customers with a job or two each take them all, none coming back empty early") { h in
            for n in 0..<40 { try await enqueueMany(h, customer: "one-\(n)", count: 1 + n % 2) }
            var taken = 0
            for _ in 0..<60 {
                let claimed = try await h.claim(16).count
                if taken < 60 { #expect(claimed > 0, "\(60 - taken) jobs still waited") }
                taken += claimed
            }
            #expect(taken == 60)
        },
        .init("customers with weights 1 and 3 are claimed 1:3, one at a time or in batches") { h in
            for name in ["light", "heavy"] { _ = try await h.store.createCustomer(name) }
            let heavy = try await h.store.setWeight(customer: "heavy", weight: 3)
            #expect(heavy.weight == 3)
            try await enqueueMany(h, customer: "light", count: 100)
            try await enqueueMany(h, customer: "heavy", count: 100)
            let singles = try await claimCustomers(h, 40)
            #expect(singles.filter { $0 == "light" }.count == 10, "\(singles)")
            #expect(singles.filter { $0 == "heavy" }.count == 30, "\(singles)")
            let batches = try await claimCustomers(h, 40, limit: 8)
            #expect(batches.filter { $0 == "light" }.count == 10, "\(batches)")
            #expect(batches.filter { $0 == "heavy" }.count == 30, "\(batches)")
            #expect(try await h.store.setWeight(customer: "heavy", weight: nil).weight == nil)
            await expectStoreError(.customerNotFound(name: "nobody")) {
                try await h.store.setWeight(customer: "nobody", weight: 2)
            }
            await #expect(throws: ValidationError.self) { try await h.store.setWeight(customer: "heavy", weight: 0) }
        },
        .init("priority orders a customer's own jobs only: it cannot push another customer's back") { h in
            try await enqueueMany(h, customer: "urgent", count: 20, priority: 0)
            try await enqueueMany(h, customer: "patient", count: 5, priority: 9)
            try await h.enqueue(customer: "urgent", type: "late", priority: 9)
            let first = try await claimCustomers(h, 10)
            #expect(first.filter { $0 == "patient" }.count == 5, "\(first)")
            // Within the customer, priority still decides: its priority-9 job comes last.
            var urgent: [Job] = []
            while let job = try await h.claim(1, customer: "urgent").first { urgent.append(job) }
            #expect(urgent.last?.type == "late")
        },
        .init("a customer whose jobs are not due yet holds nobody back, and is served once they are") { h in
            try await h.enqueue(customer: "later", start: .after(.seconds(60)))
            try await enqueueMany(h, customer: "now", count: 10)
            #expect(try await claimCustomers(h, 5) == Array(repeating: "now", count: 5))
            h.clock.advance(by: .seconds(61))
            #expect(try await claimCustomers(h, 2).contains("later"))
        },
        .init("a retried, released or replayed job is claimable again in its customer's share") { h in
            try await h.enqueue(customer: "acme")
            let first = try await h.claimOne()
            #expect(try await h.claim().isEmpty, "the share has nothing more to run")
            let failed = try await h.store.fail(try #require(first.lease), message: "boom", retryable: true)
            h.clock.advance(to: failed.runAt)
            let retried = try await h.claimOne()
            #expect(retried.id == first.id)
            _ = try await h.store.release(try #require(retried.lease), after: .zero)
            let released = try await h.claimOne()
            #expect(released.id == first.id)
            let dead = try await h.store.fail(try #require(released.lease), message: "fatal", retryable: false)
            #expect(dead.state == .dead)
            #expect(try await h.claim().isEmpty)
            _ = try await h.store.replay(.ids([dead.id]))
            #expect(try await h.claimOne().id == first.id)
        },
        .init("8 concurrent claimers over 4 customers take every job exactly once") { h in
            for customer in ["a", "b", "c", "d"] { try await enqueueMany(h, customer: customer, count: 250) }
            let claimed = try await withThrowingTaskGroup(of: [JobID].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var taken: [JobID] = []
                        var empty = 0
                        // A claim can come back empty while others hold the last rows locked.
                        while empty < 3 {
                            let jobs = try await h.claim(7, worker: "w-\(worker)")
                            empty = jobs.isEmpty ? empty + 1 : 0
                            taken += jobs.map(\.id)
                        }
                        return taken
                    }
                }
                return try await group.reduce(into: [JobID]()) { $0 += $1 }
            }
            #expect(claimed.count == 1_000)
            #expect(Set(claimed).count == 1_000)
        },
    ]
}
