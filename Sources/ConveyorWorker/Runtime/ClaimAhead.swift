/// ClaimAhead decides how many jobs a queue may claim beyond its free slots, so that the next
/// claim's round trip overlaps running jobs instead of leaving slots idle while it happens.
///
/// A job claimed ahead holds a lease while it waits, and its lease is only renewed once it runs.
/// So a queue claims ahead only as many jobs as its slots are expected to free within a quarter
/// of the lease, judged by how long handlers have been taking (a moving average): short jobs get a
/// full second batch, jobs that take minutes get none. Until a handler has finished there is no
/// estimate and nothing is claimed ahead.
struct ClaimAhead: Sendable {
    /// The moving average of handler run times; nil until one has finished.
    private(set) var typicalRunTime: Duration?

    /// Folds in one handler's run time (an exponential moving average weighting it 1/8).
    mutating func handlerFinished(after runTime: Duration) {
        let runTime = max(runTime, .zero)
        typicalRunTime = typicalRunTime.map { ($0 * 7 + runTime) / 8 } ?? runTime
    }

    /// How many jobs beyond `concurrency` free slots may be claimed now: at most `concurrency`.
    func extraJobs(concurrency: Int, lease: Duration) -> Int {
        guard let typicalRunTime else { return 0 }
        guard typicalRunTime > .zero else { return concurrency }
        // With every slot busy, a slot frees every runTime / concurrency on average; the k-th job
        // claimed ahead waits about k of those.
        let frees = (lease / 4) / typicalRunTime * Double(concurrency)
        return Int(min(Double(concurrency), frees.rounded(.down)))
    }
}
