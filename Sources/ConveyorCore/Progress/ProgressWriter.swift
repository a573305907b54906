public import Logging
public import ServiceLifecycle
import Synchronization

/// ProgressWriter writes the progress that running jobs report, coalesced by `ProgressThrottle`:
/// at most one write per job per interval (a second), the last value winning. A report costs its
/// maker nothing but a lock — a handler reporting in a loop does not slow down — and a write that
/// fails (the lease is gone, the store is down) is dropped: progress is advice, not an outcome.
/// Reports are written in `run()` as their turns come; the one still held when an attempt ends is
/// written by `end(_:)`, after any write of the job under way and before the attempt's outcome.
///
/// A worker runs one for its handlers; `conveyor serve` one for the heartbeats of HTTP workers.
public final class ProgressWriter: Service, Sendable {
    private struct State {
        var throttle: ProgressThrottle
        /// The jobs whose progress `run()` is writing now.
        var writing: Set<JobID> = []
    }

    private let store: any JobQueue
    private let clock: any WallClock
    private let logger: Logger
    private let state: Mutex<State>
    /// Rung when a report is held.
    private let offered = Doorbell()
    /// Rung with a job's id when a write of its progress is done.
    private let written = Doorbell()

    public init(
        store: any JobQueue, clock: any WallClock = SystemClock(), interval: Duration = .seconds(1), logger: Logger
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.state = Mutex(State(throttle: ProgressThrottle(interval: interval)))
    }

    /// Takes a report of the job of `lease`; it is written when its turn comes.
    public func report(_ progress: JobPayload, for lease: Lease) {
        state.withLock { $0.throttle.offer(progress, for: lease) }
        offered.ringAll()
    }

    /// The attempt of job `id` ended: writes the report still held for it, if any.
    public func end(_ id: JobID) async {
        let key: Set<String> = [id.description]
        while true {
            let ticket = written.ticket()
            let (busy, last) = state.withLock { state in
                state.writing.contains(id) ? (true, nil) : (false, state.throttle.end(id))
            }
            guard busy else {
                if let last { await write(last.progress, for: last.lease) }
                return
            }
            _ = await written.wait(for: key, after: ticket, timeout: .seconds(1))
        }
    }

    /// Writes held reports as their turns come, until graceful shutdown or cancellation.
    public func run() async {
        await cancelWhenGracefulShutdown { await self.writeUntilCancelled() }
    }

    /// Writes held reports as their turns come, until the task is cancelled — for an owner that
    /// runs it itself (a worker, which stops it once its handlers are done).
    public func writeUntilCancelled() async {
        while !Task.isCancelled {
            let ticket = self.offered.ticket()
            let now = self.clock.now()
            let due = self.state.withLock { state in
                let due = state.throttle.due(at: now)
                state.writing.formUnion(due.map(\.lease.jobID))
                return due
            }
            for report in due {
                await self.write(report.progress, for: report.lease)
                self.state.withLock { _ = $0.writing.remove(report.lease.jobID) }
                self.written.ring([report.lease.jobID.description])
            }
            // Nothing held: sleep until a report is. Something held: until its turn, on the
            // injected clock (a clock that does not move is looked at again after as long).
            let next = self.state.withLock { $0.throttle.nextTurn }
            let wait = next.map { Duration.seconds(max(0.001, $0.timeIntervalSince(now))) }
            _ = await self.offered.wait(for: nil, after: ticket, timeout: wait)
        }
    }

    private func write(_ progress: JobPayload, for lease: Lease) async {
        do {
            _ = try await store.recordProgress(lease, progress)
        } catch {
            logger.debug(
                "a progress report was not written", metadata: ["job_id": "\(lease.jobID)", "error": "\(error)"])
        }
    }
}
