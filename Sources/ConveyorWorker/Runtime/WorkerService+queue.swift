import ConveyorCore
import Logging
import Synchronization

extension WorkerService {
    /// Claims and runs one queue's jobs, at most `concurrency` at a time, until draining.
    func runQueue(_ queue: String, concurrency: Int) async {
        let slots = JobCount()
        let slotFreed = Doorbell()
        var failures = 0
        await withTaskGroup(of: Void.self) { jobs in
            while !isDraining && !Task.isCancelled {
                let slotTicket = slotFreed.ticket()
                let free = concurrency - slots.current
                if free == 0 {
                    _ = await slotFreed.wait(for: nil, after: slotTicket, timeout: nil)
                    continue
                }
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
                        logger.error("claiming failed; retrying", metadata: ["queue": .string(queue), "error": .string("\(error)")])
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

        let leaseLost = Doorbell()
        let ending = await withTaskGroup(of: Void.self) { keeper -> AttemptEnding in
            keeper.addTask { await self.keepLease(lease, lostBell: leaseLost) }
            let ending = await self.runHandler(handler, context: context, leaseLost: leaseLost)
            keeper.cancelAll()
            return ending
        }
        await record(ending, for: job, lease: lease, logger: logger)
    }

    /// Races the handler against its timeout, the shutdown deadline and the loss of its lease.
    /// Whichever ends first decides; the handler is then cancelled and awaited, so that nothing it
    /// does overlaps the recording of the outcome.
    private func runHandler(_ handler: JobHandlers.Handler?, context: JobContext, leaseLost: Doorbell) async
        -> AttemptEnding
    {
        let start = (interruption.ticket(), leaseLost.ticket())
        if isInterrupted { return .interrupted }
        return await withTaskGroup(of: AttemptEnding?.self) { race in
            race.addTask {
                guard let handler else {
                    return .threw(NoHandlerError(type: context.job.type))
                }
                do {
                    try await handler(context)
                    return .returned
                } catch {
                    return .threw(error)
                }
            }
            race.addTask {
                try? await Task.sleep(for: self.configuration.handlerTimeout)
                return Task.isCancelled ? nil : .timedOut(self.configuration.handlerTimeout)
            }
            race.addTask {
                let rung = await self.interruption.wait(for: nil, after: start.0, timeout: nil)
                return rung ? .interrupted : nil
            }
            race.addTask {
                let rung = await leaseLost.wait(for: nil, after: start.1, timeout: nil)
                return rung ? .leaseLost : nil
            }
            var ending: AttemptEnding?
            while ending == nil, let next = await race.next() {
                ending = next
            }
            race.cancelAll()
            // A handler that stopped because shutdown cancelled it was interrupted, not failed.
            if case .threw(let error) = ending, error is CancellationError, isInterrupted { return .interrupted }
            return ending ?? .interrupted
        }
    }

    /// Renews the lease every heartbeat interval until cancelled; rings `lostBell` if it is gone.
    private func keepLease(_ lease: Lease, lostBell: Doorbell) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.effectiveHeartbeatInterval)
            if Task.isCancelled { return }
            do {
                _ = try await store.heartbeat(lease, extendBy: configuration.lease)
                emit(.heartbeat(lease.jobID))
            } catch JobStoreError.leaseLost, JobStoreError.notFound {
                lostBell.ringAll()
                return
            } catch {
                // The store may come back before the lease runs out; if not, the outcome write is
                // refused and the job is rescued.
                logger.warning("lease heartbeat failed", metadata: ["job_id": .string(lease.jobID.description), "error": .string("\(error)")])
            }
        }
    }

    private func record(_ ending: AttemptEnding, for job: Job, lease: Lease, logger: Logger) async {
        let store = self.store
        do {
            switch ending.outcome {
            case .complete:
                let done = try await shielded { try await store.complete(lease) }
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
