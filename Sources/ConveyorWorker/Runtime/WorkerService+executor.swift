import ConveyorCore
import Foundation
import Logging
import Synchronization

/// The executor: runners that take a queue's claimed jobs one after another and run each handler
/// with its lease kept alive, until it returns, throws, times out, loses its lease or is interrupted.
extension WorkerService {
    /// One runner: runs the queue's ready jobs one after another until none is left.
    func runJobs(of lanes: QueueLanes) async {
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

    /// Runs one claimed job's handler, keeping its lease alive, and says how it ended.
    func execute(_ job: Job, lease: Lease) async -> AttemptEnding {
        emit(.claimed(job))
        let context = JobContext(
            job: job, workerID: configuration.workerID, workerLogger: logger, progressWriter: progress,
            progressLimitBytes: configuration.limits.progressBytes)
        let handler = handlers.handler(for: job.type)
        let limits = configuration.limits

        // The handler runs in a task of its own so that the lease keeper can cancel it and still
        // keep the lease alive until it has actually stopped (a program being torn down, say).
        let handlerTask = Task { () -> AttemptEnding in
            guard let handler else { return .threw(NoHandlerError(type: job.type)) }
            do {
                let result = try await handler(context)
                if let result, result.text.utf8.count > limits.resultBytes {
                    return .threw(
                        NonRetryableError(
                            "the result is \(result.text.utf8.count) bytes; the limit is \(limits.resultBytes) bytes"))
                }
                return .returned(result)
            } catch {
                return .threw(error)
            }
        }
        let verdict = Verdict()
        // A cancel posted by the store (this process's, or on PostgreSQL any process's) stops the
        // handler at once; the next heartbeat would find it too, a renewal interval later.
        store.cancellations.watch(job.id) { verdict.stop(handlerTask, because: .cancelled) }
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
        store.cancellations.forget(job.id)
        inFlight.finish(job.id)
        // The last report goes in before the outcome: a job completes with its final progress.
        await progress.end(job.id)
        var ending = verdict.value ?? handled
        // A handler that stopped because shutdown cancelled it was interrupted, not failed.
        if case .threw(let error) = ending, error is CancellationError, isInterrupted { ending = .interrupted }
        return ending
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
