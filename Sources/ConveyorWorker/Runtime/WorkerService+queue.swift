import ConveyorCore
import Foundation
import Logging
import Synchronization

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

    /// One runner: runs the queue's ready jobs one after another until none is left.
    private func runJobs(of lanes: QueueLanes) async {
        while let entry = lanes.ready.take() {
            // A job that waited for half its lease (its handler has not renewed it) goes back
            // rather than risk running while its lease runs out; so does every job once draining.
            let clock = configuration.clock
            if isDraining || clock.now().timeIntervalSince(entry.claimedAt) > (configuration.lease / 2).timeInterval {
                await handBack([entry.job], lanes: lanes)
                continue
            }
            guard let lease = entry.job.lease else {
                lanes.finished()
                continue
            }
            lanes.running.add(1)
            running.add(1)
            let started = clock.now()
            let ending = await execute(entry.job, lease: lease)
            running.add(-1)
            lanes.running.add(-1)
            lanes.handlerFinished(after: .seconds(clock.now().timeIntervalSince(started)))
            // The slot is free once the handler is done, not once its outcome is written: the
            // next job and the next claim overlap the outcome's round trip.
            await record(ending, for: entry.job, lease: lease, then: lanes.finished)
        }
    }

    /// Releases jobs that were claimed but will not run here, so they run elsewhere at once.
    private func handBack(_ jobs: [Job], lanes: QueueLanes) async {
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

    /// Runs one claimed job's handler, keeping its lease alive, and says how it ended.
    func execute(_ job: Job, lease: Lease) async -> AttemptEnding {
        emit(.claimed(job))
        let context = JobContext(job: job, workerID: configuration.workerID, workerLogger: logger)
        let handler = handlers.handler(for: job.type)

        // The handler runs in a task of its own so that the lease keeper can cancel it and still
        // keep the lease alive until it has actually stopped (a program being torn down, say).
        let handlerTask = Task { () -> AttemptEnding in
            guard let handler else { return .threw(NoHandlerError(type: job.type)) }
            do {
                try await handler(context)
                return .returned
            } catch {
                return .threw(error)
            }
        }
        let verdict = Verdict()
        inFlight.start(job.id, handler: handlerTask, verdict: verdict)
        if isInterrupted { verdict.stop(handlerTask, because: .interrupted) }
        let now = ContinuousClock.now
        leases.watch(
            lease, handler: handlerTask, verdict: verdict, deadline: now + configuration.handlerTimeout,
            nextBeat: now + configuration.effectiveHeartbeatInterval)
        let handled = await withTaskCancellationHandler {
            await handlerTask.value
        } onCancel: {
            handlerTask.cancel()
        }
        leases.forget(job.id)
        inFlight.finish(job.id)
        var ending = verdict.value ?? handled
        // A handler that stopped because shutdown cancelled it was interrupted, not failed.
        if case .threw(let error) = ending, error is CancellationError, isInterrupted { ending = .interrupted }
        return ending
    }

    /// Writes the outcome, then calls `then`. A completion is handed to the batcher and not
    /// waited for; the rarer outcomes are written before this returns.
    private func record(
        _ ending: AttemptEnding, for job: Job, lease: Lease, then: @escaping @Sendable () -> Void
    ) async {
        let store = self.store
        let logger = self.logger
        @Sendable func log(_ level: Logger.Level, _ message: Logger.Message, _ metadata: Logger.Metadata? = nil) {
            guard logger.logLevel <= level else { return }
            JobContext.logger(logger, for: job).log(level: level, message, metadata: metadata)
        }
        @Sendable func notRecorded(_ error: any Error) {
            log(.warning, "the outcome could not be recorded", ["error": .string("\(error)")])
            emit(.outcomeNotRecorded(job.id, reason: "\(error)"))
        }
        let retry = outcomeRetry
        let ended = ContinuousClock.now
        do {
            switch ending.outcome {
            case .complete:
                completions.submit(lease) { result in
                    switch result {
                    case .success(let done):
                        log(.info, "job completed")
                        self.emit(.completed(done))
                        then()
                    case .failure(let error) where OutcomeRetry.isTransient(error):
                        // Rare (the store failed under the whole batch): retried apart, off the
                        // batcher, with the same lease token.
                        self.followUps.continuation.yield {
                            do {
                                let done = try await self.retrying(retry, since: ended, after: error) {
                                    try await store.complete(lease)
                                } recordedAnyway: { job in
                                    job.state == .completed
                                }
                                log(.info, "job completed", ["retried": "true"])
                                self.emit(.completed(done))
                            } catch {
                                notRecorded(error)
                            }
                            then()
                        }
                    case .failure(let error):
                        notRecorded(error)
                        then()
                    }
                }
                return
            case .fail(let message, let retryable):
                if case .timedOut = ending { emit(.timedOut(job.id)) }
                let failed = try await shielded(within: retry.window + .seconds(1)) {
                    try await self.retrying(retry, since: ended) {
                        try await store.fail(lease, message: message, retryable: retryable)
                    } recordedAnyway: { stored in
                        stored.attempt == job.attempt && [.retryable, .dead].contains(stored.state)
                    }
                }
                log(.warning, "job failed", ["error": .string(message), "state": .string(failed.state.rawValue)])
                emit(.failed(failed))
            case .release(let delay):
                let released = try await shielded(within: retry.window + .seconds(1)) {
                    try await self.retrying(retry, since: ended) {
                        try await store.release(lease, after: delay)
                    } recordedAnyway: { stored in
                        stored.state != .running && stored.leaseToken == nil && stored.attempt < job.attempt
                    }
                }
                log(.info, "job released", ["run_at": .stringConvertible(released.runAt)])
                emit(.released(released))
            case .discard:
                log(.warning, "lease lost while running: the outcome is discarded")
                emit(.leaseLost(job.id))
            }
        } catch {
            notRecorded(error)
        }
        then()
    }
}

extension WorkerService {
    /// Runs `write`, and runs it again after a transient failure (`OutcomeRetry`) while the lease
    /// holds. `failed` is an error the first try already met elsewhere. A try after a transient
    /// failure that finds the lease gone may be looking at its own earlier write, committed before
    /// the connection dropped: when the stored job shows the outcome (`recordedAnyway`), that is
    /// the result.
    func retrying(
        _ retry: OutcomeRetry, since ended: ContinuousClock.Instant, after failed: (any Error)? = nil,
        _ write: @escaping @Sendable () async throws -> Job, recordedAnyway: @Sendable (Job) -> Bool
    ) async throws -> Job {
        var failure = failed  // the latest transient failure, if any
        var retries = 0
        while true {
            if let failure {
                retries += 1
                guard !isInterrupted, let pause = retry.pause(beforeRetry: retries, elapsed: .now - ended) else {
                    throw failure
                }
                if retries == 1 {
                    logger.notice(
                        "writing an outcome failed; retrying while the lease holds",
                        metadata: ["error": .string("\(failure)")])
                }
                try? await Task.sleep(for: pause)
            }
            do {
                return try await abandoning(after: retry.timeout(elapsed: .now - ended), write)
            } catch let refused where OutcomeRetry.isTransient(refused) {
                failure = refused
            } catch JobStoreError.leaseLost(let id) where retries > 0 {
                if let stored = try? await store.job(id: id), recordedAnyway(stored) { return stored }
                throw JobStoreError.leaseLost(id: id)
            }
        }
    }
}

/// NoHandlerError fails a job whose type this worker has no handler for. It is retryable: a worker
/// that knows the type (a newer deploy) may claim it next time.
struct NoHandlerError: Error, CustomStringConvertible {
    let type: String
    var description: String { "no handler is registered for job type \(type)" }
}

/// Verdict is the decision to stop a running handler early, if one was made; the first stands.
final class Verdict: Sendable {
    private let ending = Mutex<AttemptEnding?>(nil)

    var value: AttemptEnding? { ending.withLock { $0 } }

    /// Records the reason (unless one was recorded already) and cancels the handler.
    func stop(_ handler: Task<AttemptEnding, Never>, because reason: AttemptEnding) {
        ending.withLock { $0 = $0 ?? reason }
        handler.cancel()
    }
}

/// InFlightJobs are the handlers running now, so that shutdown can interrupt them all at once.
final class InFlightJobs: Sendable {
    private let jobs = Mutex<[JobID: (Task<AttemptEnding, Never>, Verdict)]>([:])

    func start(_ id: JobID, handler: Task<AttemptEnding, Never>, verdict: Verdict) {
        jobs.withLock { $0[id] = (handler, verdict) }
    }

    func finish(_ id: JobID) {
        _ = jobs.withLock { $0.removeValue(forKey: id) }
    }

    func interruptAll() {
        for (handler, verdict) in jobs.withLock({ Array($0.values) }) {
            verdict.stop(handler, because: .interrupted)
        }
    }
}
