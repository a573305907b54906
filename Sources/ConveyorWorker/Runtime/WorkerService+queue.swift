import ConveyorCore
import Logging
import Synchronization

extension WorkerService {
    /// Claims and runs one queue's jobs, at most `concurrency` at a time, until draining.
    func runQueue(_ queue: String, concurrency: Int) async {
        // Jobs whose handlers run, and jobs claimed whose outcome is not written yet (a superset):
        // a slot frees when the handler ends, but at most `concurrency` finished jobs may wait
        // for their outcome to be written, so a slow database slows claiming down instead of
        // piling up leased jobs.
        let slots = JobCount()
        let unrecorded = JobCount()
        let slotFreed = Doorbell()
        let claimThreshold = max(1, concurrency / 2)
        var failures = 0
        // Discarding: a plain task group keeps every finished child until its result is read, and
        // this one is never read — a worker grew by ~17 KB per job run before this.
        await withDiscardingTaskGroup { jobs in
            while !isDraining && !Task.isCancelled {
                let slotTicket = slotFreed.ticket()
                let busy = slots.current
                let free = min(concurrency - busy, 2 * concurrency - unrecorded.current)
                // Under load, claim only once half the slots are free: one claim transaction then
                // serves many jobs instead of one. With nothing running, claim at once.
                if free < 1 || (busy > 0 && free < claimThreshold) {
                    _ = await slotFreed.wait(for: nil, after: slotTicket, timeout: nil)
                    continue
                }
                // Taken before the claim, so an enqueue landing between the claim and the wait is
                // not missed.
                let ticket = store.wakeups.ticket()
                let claimed: [Job]
                let request = try? ClaimRequest(
                    queues: [queue], customer: configuration.customer, limit: free, lease: configuration.lease,
                    workerID: configuration.workerID)
                guard let request else { break }  // validated with the configuration; cannot fail
                do {
                    // Shielded: a claim that commits must be seen through, or its jobs would sit
                    // leased until their leases expire.
                    let store = self.store
                    claimed = try await shielded { try await store.claim(request) }
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
                if isInterrupted || Task.isCancelled {
                    // Stopped while claiming: hand the jobs straight back.
                    for job in claimed {
                        guard let lease = job.lease else { continue }
                        let store = self.store
                        _ = try? await shielded { try await store.release(lease, after: .zero) }
                    }
                    break
                }
                if claimed.isEmpty {
                    emit(.idle(queue: queue))
                    _ = await store.wakeups.wait(for: [queue], after: ticket, timeout: configuration.pollInterval)
                    continue
                }
                slots.add(claimed.count)
                unrecorded.add(claimed.count)
                running.add(claimed.count)
                for job in claimed {
                    jobs.addTask {
                        // The slot frees once the handler is done, not once its outcome is
                        // written: the next claim then overlaps the completion's round trip
                        // instead of waiting for it.
                        await self.execute(job) {
                            slots.add(-1)
                            self.running.add(-1)
                            slotFreed.ringAll()
                        }
                        unrecorded.add(-1)
                        slotFreed.ringAll()
                    }
                }
            }
        }
    }

    /// Runs one claimed job to an outcome and records it; `handlerDone` is called once the
    /// handler has stopped, before the outcome is written.
    func execute(_ job: Job, handlerDone: @Sendable () -> Void) async {
        emit(.claimed(job))
        guard let lease = job.lease else {
            handlerDone()
            return
        }
        let context = JobContext(job: job, workerID: configuration.workerID, workerLogger: logger)
        let handler = handlers.handler(for: job.type)

        // The handler runs in a task of its own so that the watchdog can cancel it and still keep
        // the lease alive until it has actually stopped (a program being torn down, say).
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
        let handled = await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { watchdog in
                watchdog.addTask { await self.watch(lease, handler: handlerTask, verdict: verdict) }
                let handled = await handlerTask.value
                watchdog.cancelAll()
                return handled
            }
        } onCancel: {
            handlerTask.cancel()
        }
        inFlight.finish(job.id)
        handlerDone()
        var ending = verdict.value ?? handled
        // A handler that stopped because shutdown cancelled it was interrupted, not failed.
        if case .threw(let error) = ending, error is CancellationError, isInterrupted { ending = .interrupted }
        await record(ending, for: job, lease: lease)
    }

    /// Watches a running handler: renews its lease every heartbeat interval and cancels it when it
    /// runs past its timeout or the lease is lost, recording which in `verdict` (shutdown
    /// interrupts handlers through `InFlightJobs`). It keeps renewing the lease until the handler
    /// has stopped (it is cancelled then), except after the lease is lost.
    private func watch(_ lease: Lease, handler: Task<AttemptEnding, Never>, verdict: Verdict) async {
        let interval = configuration.effectiveHeartbeatInterval
        let deadline = ContinuousClock.now + configuration.handlerTimeout
        var nextBeat = ContinuousClock.now + interval
        while !Task.isCancelled {
            if verdict.value == nil && ContinuousClock.now >= deadline {
                emit(.timedOut(lease.jobID))
                verdict.stop(handler, because: .timedOut(configuration.handlerTimeout))
            }
            if ContinuousClock.now >= nextBeat {
                do {
                    _ = try await store.heartbeat(lease, extendBy: configuration.lease)
                    emit(.heartbeat(lease.jobID))
                } catch JobStoreError.leaseLost, JobStoreError.notFound {
                    verdict.stop(handler, because: .leaseLost)
                    return
                } catch {
                    // The store may come back before the lease runs out; if not, the outcome
                    // write is refused and the job is rescued.
                    logger.warning(
                        "lease heartbeat failed",
                        metadata: ["job_id": .string(lease.jobID.description), "error": .string("\(error)")])
                }
                nextBeat = ContinuousClock.now + interval
            }
            try? await Task.sleep(until: verdict.value == nil ? min(deadline, nextBeat) : nextBeat, clock: .continuous)
        }
    }

    private func record(_ ending: AttemptEnding, for job: Job, lease: Lease) async {
        let store = self.store
        func log(_ level: Logger.Level, _ message: Logger.Message, _ metadata: Logger.Metadata? = nil) {
            guard logger.logLevel <= level else { return }
            JobContext.logger(logger, for: job).log(level: level, message, metadata: metadata)
        }
        do {
            switch ending.outcome {
            case .complete:
                let done = try await completions.complete(lease)
                log(.info, "job completed")
                emit(.completed(done))
            case .fail(let message, let retryable):
                if case .timedOut = ending { emit(.timedOut(job.id)) }
                let failed = try await shielded { try await store.fail(lease, message: message, retryable: retryable) }
                log(.warning, "job failed", ["error": .string(message), "state": .string(failed.state.rawValue)])
                emit(.failed(failed))
            case .release(let delay):
                let released = try await shielded { try await store.release(lease, after: delay) }
                log(.info, "job released", ["run_at": .stringConvertible(released.runAt)])
                emit(.released(released))
            case .discard:
                log(.warning, "lease lost while running: the outcome is discarded")
                emit(.leaseLost(job.id))
            }
        } catch {
            log(.warning, "the outcome could not be recorded", ["error": .string("\(error)")])
            emit(.outcomeNotRecorded(job.id, reason: "\(error)"))
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
