import ConveyorCore
import Logging
import Synchronization

extension WorkerService {
    /// Claims and runs one queue's jobs, at most `concurrency` at a time, until draining.
    func runQueue(_ queue: String, concurrency: Int) async {
        let slots = JobCount()
        let slotFreed = Doorbell()
        let claimThreshold = max(1, concurrency / 2)
        var failures = 0
        await withTaskGroup(of: Void.self) { jobs in
            while !isDraining && !Task.isCancelled {
                let slotTicket = slotFreed.ticket()
                let busy = slots.current
                // Under load, claim only once half the slots are free: one claim transaction then
                // serves many jobs instead of one. With nothing running, claim at once.
                if busy > 0 && concurrency - busy < claimThreshold {
                    _ = await slotFreed.wait(for: nil, after: slotTicket, timeout: nil)
                    continue
                }
                let free = concurrency - busy
                // Taken before the claim, so an enqueue landing between the claim and the wait is
                // not missed.
                let ticket = store.wakeups.ticket()
                let claimed: [Job]
                do {
                    claimed = try await store.claim(
                        ClaimRequest(
                            queues: [queue], customer: configuration.customer, limit: free, lease: configuration.lease,
                            workerID: configuration.workerID))
                    failures = 0
                } catch {
                    failures += 1
                    if failures == 1 {
                        logger.error(
                            "claiming failed; retrying",
                            metadata: ["queue": .string(queue), "error": .string("\(error)")])
                    }
                    _ = await store.wakeups.wait(for: [queue], after: ticket, timeout: configuration.pollInterval)
                    continue
                }
                if claimed.isEmpty {
                    emit(.idle(queue: queue))
                    _ = await store.wakeups.wait(for: [queue], after: ticket, timeout: configuration.pollInterval)
                    continue
                }
                slots.add(claimed.count)
                running.add(claimed.count)
                for job in claimed {
                    jobs.addTask {
                        await self.execute(job)
                        slots.add(-1)
                        self.running.add(-1)
                        slotFreed.ringAll()
                    }
                }
            }
        }
    }

    /// Runs one claimed job to an outcome and records it.
    func execute(_ job: Job) async {
        var logger = self.logger
        logger[metadataKey: "job_id"] = .string(job.id.description)
        logger[metadataKey: "customer"] = .string(job.customer)
        logger[metadataKey: "queue"] = .string(job.queue)
        logger[metadataKey: "attempt"] = .stringConvertible(job.attempt)
        emit(.claimed(job))
        guard let lease = job.lease else { return }
        let context = JobContext(job: job, workerID: configuration.workerID, logger: logger)
        let handler = handlers.handler(for: job.type)
        let interruptionTicket = interruption.ticket()

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
        let handled = await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { watchdog in
                watchdog.addTask {
                    await self.watch(
                        lease, handler: handlerTask, verdict: verdict, interruptionTicket: interruptionTicket)
                }
                let handled = await handlerTask.value
                watchdog.cancelAll()
                return handled
            }
        } onCancel: {
            handlerTask.cancel()
        }
        var ending = verdict.value ?? handled
        // A handler that stopped because shutdown cancelled it was interrupted, not failed.
        if case .threw(let error) = ending, error is CancellationError, isInterrupted { ending = .interrupted }
        await record(ending, for: job, lease: lease, logger: logger)
    }

    /// Watches a running handler: renews its lease every heartbeat interval, and cancels it when it
    /// runs past its timeout, when shutdown interrupts running jobs, or when the lease is lost —
    /// recording which in `verdict`. It keeps renewing the lease until the handler has stopped
    /// (it is cancelled then), except after the lease is lost.
    private func watch(
        _ lease: Lease, handler: Task<AttemptEnding, Never>, verdict: Verdict, interruptionTicket: Doorbell.Ticket
    ) async {
        let interval = configuration.effectiveHeartbeatInterval
        let deadline = ContinuousClock.now + configuration.handlerTimeout
        var nextBeat = ContinuousClock.now + interval
        while !Task.isCancelled {
            let now = ContinuousClock.now
            if verdict.value == nil {
                if isInterrupted {
                    verdict.decide(.interrupted)
                    handler.cancel()
                } else if now >= deadline {
                    emit(.timedOut(lease.jobID))
                    verdict.decide(.timedOut(configuration.handlerTimeout))
                    handler.cancel()
                }
            }
            if now >= nextBeat {
                do {
                    _ = try await store.heartbeat(lease, extendBy: configuration.lease)
                    emit(.heartbeat(lease.jobID))
                } catch JobStoreError.leaseLost, JobStoreError.notFound {
                    verdict.decide(.leaseLost)
                    handler.cancel()
                    return
                } catch {
                    // The store may come back before the lease runs out; if not, the outcome
                    // write is refused and the job is rescued.
                    logger.warning(
                        "lease heartbeat failed",
                        metadata: ["job_id": .string(lease.jobID.description), "error": .string("\(error)")])
                }
                nextBeat = ContinuousClock.now + interval
                continue
            }
            if verdict.value == nil {
                _ = await interruption.wait(
                    for: nil, after: interruptionTicket, timeout: max(min(deadline, nextBeat) - now, .zero))
            } else {
                // Decided; only the lease needs keeping until the handler has stopped.
                try? await Task.sleep(until: nextBeat, clock: .continuous)
            }
        }
    }

    private func record(_ ending: AttemptEnding, for job: Job, lease: Lease, logger: Logger) async {
        let store = self.store
        do {
            switch ending.outcome {
            case .complete:
                let done = try await completions.complete(lease)
                logger.info("job completed")
                emit(.completed(done))
            case .fail(let message, let retryable):
                if case .timedOut = ending { emit(.timedOut(job.id)) }
                let failed = try await shielded { try await store.fail(lease, message: message, retryable: retryable) }
                logger.warning(
                    "job failed",
                    metadata: ["error": .string(message), "state": .string(failed.state.rawValue)])
                emit(.failed(failed))
            case .release(let delay):
                let released = try await shielded { try await store.release(lease, after: delay) }
                logger.info("job released", metadata: ["run_at": .stringConvertible(released.runAt)])
                emit(.released(released))
            case .discard:
                logger.warning("lease lost while running: the outcome is discarded")
                emit(.leaseLost(job.id))
            }
        } catch {
            logger.warning("the outcome could not be recorded", metadata: ["error": .string("\(error)")])
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

/// Verdict is the watchdog's decision about a running handler, if it made one; the first decision
/// stands.
final class Verdict: Sendable {
    private let ending = Mutex<AttemptEnding?>(nil)

    var value: AttemptEnding? { ending.withLock { $0 } }

    func decide(_ decision: AttemptEnding) {
        ending.withLock { $0 = $0 ?? decision }
    }
}
