import ConveyorCore
import Synchronization

/// QueueLanes are one queue's bookkeeping inside a worker: the claimed jobs waiting for a runner,
/// how many run, how many are leased (claimed and their outcome not yet written), and how far
/// ahead the queue may claim. Its doorbell rings whenever room for a claim may have opened.
final class QueueLanes: Sendable {
    let concurrency: Int
    let ready: ReadyJobs
    /// Handlers running now.
    let running = JobCount()
    /// Claimed jobs whose outcome is not written yet: waiting, running, or being recorded.
    let leased = JobCount()
    let changed = Doorbell()
    private let ahead = Mutex(ClaimAhead())

    init(concurrency: Int) {
        self.concurrency = concurrency
        self.ready = ReadyJobs(maxRunners: concurrency)
    }

    /// Nothing runs and nothing waits: the next claim need not wait for a fuller batch.
    var isIdle: Bool { running.current == 0 && ready.waiting == 0 }

    /// How many jobs the next claim may take: the free slots plus what may be claimed ahead, and
    /// never more than three batches leased at once — so a slow database slows claiming instead
    /// of piling up leases whose outcomes wait to be written.
    func room(lease: Duration) -> Int {
        let extra = ahead.withLock { $0.extraJobs(concurrency: concurrency, lease: lease) }
        let wanted = concurrency + extra - running.current - ready.waiting
        return min(wanted, 3 * concurrency - leased.current)
    }

    func handlerFinished(after runTime: Duration) {
        ahead.withLock { $0.handlerFinished(after: runTime) }
        changed.ringAll()
    }

    /// Returns once every claimed job is done with: outcomes written (or refused) or handed back;
    /// or once the task is cancelled — at the worker's stop line, which waits for nothing more.
    func allFinished() async {
        while !Task.isCancelled {
            let ticket = changed.ticket()
            if leased.current <= 0 { return }
            _ = await changed.wait(for: nil, after: ticket, timeout: nil)
        }
    }

    /// A claimed job is done with here: its outcome is written, or it was handed back.
    @Sendable func finished() {
        leased.add(-1)
        changed.ringAll()
    }
}
