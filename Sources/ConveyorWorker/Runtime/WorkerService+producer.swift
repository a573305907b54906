import ConveyorCore
import Foundation
import Logging
import Synchronization

/// The producer: each queue's claim loop, which keeps the queue's runners supplied with claimed
/// jobs up to its concurrency (and a little ahead), and hands back what will not run here.
extension WorkerService {
    /// Claims and runs one queue's jobs, at most `concurrency` at a time, until draining.
    func runQueue(_ queue: String, concurrency: Int) async {
        let lanes = QueueLanes(concurrency: concurrency)
        let claimThreshold = max(1, concurrency / 2)
        var failures = 0
        // Discarding: a plain task group keeps every finished child until its result is read, and
        // this one is never read.
        await withDiscardingTaskGroup { runners in
            while !isDraining && !Task.isCancelled {
                let changeTicket = lanes.changed.ticket()
                let room = lanes.room(lease: configuration.lease)
                // Under load, claim only once half a batch is wanted: one claim transaction then
                // serves many jobs instead of one. With nothing running or waiting, claim at once.
                if room < 1 || (!lanes.isIdle && room < claimThreshold) {
                    _ = await lanes.changed.wait(for: nil, after: changeTicket, timeout: nil)
                    continue
                }
                // Taken before the claim, so an enqueue landing between the claim and the wait is
                // not missed.
                let ticket = store.wakeups.ticket()
                // Read before the claim: the leases start no earlier, so a job's wait is never
                // underestimated (read after, a slow answer would hide part of it).
                let claimedAt = configuration.clock.now()
                let claimed: [Job]
                let request = try? ClaimRequest(
                    queues: [queue], customer: configuration.customer, limit: room, lease: configuration.lease,
                    workerID: configuration.workerID)
                guard let request else { break }  // validated with the configuration; cannot fail
                do {
                    guard let answer = try await claim(request) else { break }  // given up: draining
                    claimed = answer
                    if failures > 0 {
                        logger.notice(
                            "claiming works again", metadata: ["queue": .string(queue), "attempts": "\(failures)"])
                    }
                    failures = 0
                } catch {
                    // Stopping: a claim cut short by the stop is no failure (an error logged at
                    // every normal stop would teach operators to ignore the error level).
                    if isDraining || Task.isCancelled {
                        logger.debug(
                            "claim given up: stopping",
                            metadata: ["queue": .string(queue), "error": .string("\(error)")])
                        break
                    }
                    failures += 1
                    // Logged once per outage, not once per attempt; retried with backoff.
                    if failures == 1 {
                        logger.error(
                            "claiming failed; retrying with backoff until the store answers",
                            metadata: ["queue": .string(queue), "error": .string("\(error)")])
                    }
                    let backoff = min(configuration.pollInterval * (1 << min(failures - 1, 5)), .seconds(30))
                    _ = await store.wakeups.wait(for: [queue], after: ticket, timeout: backoff)
                    continue
                }
                if claimed.isEmpty {
                    emit(.idle(queue: queue))
                    _ = await store.wakeups.wait(for: [queue], after: ticket, timeout: configuration.pollInterval)
                    continue
                }
                lanes.leased.add(claimed.count)
                let start = lanes.ready.add(claimed, claimedAt: claimedAt)
                for _ in 0..<start {
                    runners.addTask { await self.runJobs(of: lanes) }
                }
            }
            // Stopped: jobs claimed but not started go straight back.
            await handBack(lanes.ready.takeAll(), lanes: lanes)
        }
        // Runners hand completions to the batcher without waiting; the loop ends only once they
        // are written, so a clean shutdown never leaves a finished job to be rescued and rerun.
        await lanes.allFinished()
    }

    /// The jobs `request` claims. Shielded: a claim that commits is seen through, or its jobs would
    /// sit leased until their leases expire. Bounded: a claim that never answers would hold the
    /// queue for good; and once draining, one still unanswered after `Self.claimGraceOnDrain` is
    /// given up, so that a worker with nothing running stops at once even with the store gone.
    /// A given-up claim (nil) that did commit leaves its jobs to be rescued when their leases expire.
    func claim(_ request: ClaimRequest) async throws -> [Job]? {
        let store = self.store
        let bound = max(configuration.lease, .seconds(10))
        return try await withThrowingTaskGroup(of: [Job]?.self) { group in
            group.addTask { try await shielded(within: bound) { try await store.claim(request) } }
            group.addTask {
                guard await self.waitUntilDraining() else { return [] }
                try await Task.sleep(for: Self.claimGraceOnDrain)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    /// How long a claim in flight when draining begins may still answer (a claim takes
    /// milliseconds when the store is well).
    static let claimGraceOnDrain = Duration.seconds(2)

    /// Releases jobs that were claimed but will not run here, so they run elsewhere at once.
    func handBack(_ jobs: [Job], lanes: QueueLanes) async {
        for job in jobs {
            if let lease = job.lease {
                let store = self.store
                let bound = configuration.lease
                _ = try? await shielded(within: bound) { try await store.release(lease, after: .zero) }
            }
            emit(.handedBack(job.id))
            lanes.finished()
        }
    }
}
