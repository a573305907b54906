import ConveyorCore
import Foundation
import Logging
import Synchronization

/// The completer: writes each attempt's outcome — completions group-committed, the rarer outcomes
/// one by one — retrying a write the store failed while the lease holds.
extension WorkerService {
    /// Writes the outcome, then calls `then`. A completion is handed to the batcher and not
    /// waited for; the rarer outcomes are written before this returns.
    func record(
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
            case .complete(let result):
                let completion = Completion(lease, result: result)
                completions.submit(completion) { result in
                    switch result {
                    case .success(let done):
                        // Debug: a line per job at info would be the hot path's biggest write.
                        log(.debug, "job completed")
                        self.emit(.completed(done))
                        then()
                    case .failure(let error) where OutcomeRetry.isTransient(error):
                        // Rare (the store failed under the whole batch): retried apart, off the
                        // batcher, with the same lease token.
                        self.followUps.continuation.yield {
                            do {
                                let done = try await self.retrying(retry, since: ended, after: error) {
                                    try await store.complete(completion)
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
            case .fail(let message, let retryable, let retryAfter):
                if case .timedOut = ending { emit(.timedOut(job.id)) }
                let failed = try await shielded(within: retry.window + .seconds(1)) {
                    try await self.retrying(retry, since: ended) {
                        try await store.fail(lease, message: message, retryable: retryable, retryAfter: retryAfter)
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
                if case .cancelled = ending {
                    log(.info, "job cancelled while running: the outcome is discarded")
                    emit(.cancelled(job.id))
                } else {
                    log(.warning, "lease lost while running: the outcome is discarded")
                    emit(.leaseLost(job.id))
                }
            }
        } catch {
            notRecorded(error)
        }
        then()
    }

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
