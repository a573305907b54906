import ConveyorCore
import Logging

extension WorkerService {
    /// Renews the leases of running handlers every heartbeat interval and stops handlers that run
    /// past their timeout or lose their lease, recording which in their verdict. A handler's lease
    /// is renewed until it has stopped (a timed-out handler may take a moment to honour its
    /// cancellation), except once the lease is lost. Runs until cancelled.
    func keepLeases() async {
        let interval = configuration.effectiveHeartbeatInterval
        await withDiscardingTaskGroup { renewals in
            while !Task.isCancelled {
                let ticket = leases.changed.ticket()
                let now = ContinuousClock.now
                let due = leases.takeDue(at: now)
                for entry in due.timedOut {
                    emit(.timedOut(entry.lease.jobID))
                    entry.verdict.stop(entry.handler, because: .timedOut(configuration.handlerTimeout))
                }
                for entry in due.renewals {
                    renewals.addTask { await self.renew(entry, interval: interval) }
                }
                let timeout = due.next.map { max($0 - now, .zero) }
                _ = await leases.changed.wait(for: nil, after: ticket, timeout: timeout)
            }
        }
    }

    private func renew(_ entry: LeaseKeeper.Watched, interval: Duration) async {
        let lease = entry.lease
        do {
            // Bounded by the interval: a renewal that never answers must not stop the next one,
            // nor shutdown (see `abandoning`).
            let store = self.store
            let renewal = configuration.lease
            _ = try await abandoning(after: interval) { try await store.heartbeat(lease, extendBy: renewal) }
            emit(.heartbeat(lease.jobID))
        } catch JobStoreError.cancelled {
            entry.verdict.stop(entry.handler, because: .cancelled)
            leases.forget(lease.jobID)
            return
        } catch JobStoreError.leaseLost, JobStoreError.notFound {
            entry.verdict.stop(entry.handler, because: .leaseLost)
            leases.forget(lease.jobID)
            return
        } catch {
            // The store may come back before the lease runs out; if not, the outcome write is
            // refused and the job is rescued.
            logger.warning(
                "lease heartbeat failed",
                metadata: ["job_id": .string(lease.jobID.description), "error": .string("\(error)")])
        }
        leases.renewed(lease.jobID, nextBeat: .now + interval)
    }
}
