/// FairClaim is how a claim shares a queue between customers, pure so that both engines follow
/// it (SQLite calls it; PostgreSQL's claim statement is the same rule in SQL, and the conformance
/// suite holds both to it).
///
/// A claim of `limit` jobs considers the `limit` shares with the smallest pass among those with a
/// job that may run now (no other share can own one of the `limit` smallest virtual times), reads
/// from each at most its weight's part of the limit (at least one), and takes the jobs with the
/// smallest virtual times: a share's k-th job (from 0) at `pass + k / weight`. Within a share jobs
/// go in its claim order (priority, then run_at, then id), so a customer's priorities order only
/// its own jobs and can never push another customer's back.
public enum FairClaim {
    /// The shares a claim of `limit` considers, from `shares` in any order: the `limit` with the
    /// smallest pass (ties by queue, then customer).
    public static func candidates(_ shares: [QueueShare], limit: Int) -> [QueueShare] {
        Array(shares.sorted(by: precedes).prefix(limit))
    }

    /// How many waiting jobs to read from each candidate: its weight's part of `limit`, rounded
    /// up, so that a claim can fill its limit from the candidates in one read while reading at
    /// most `limit` + the number of candidates rows.
    public static func reads(_ candidates: [QueueShare], limit: Int) -> [Int] {
        let total = candidates.reduce(0) { $0 + $1.weight }
        return candidates.map { share in
            max(1, min(limit, Int((Double(limit) * share.weight / total).rounded(.up))))
        }
    }

    /// The jobs to claim: of each candidate's `waiting` jobs (in its claim order), the `limit`
    /// with the smallest virtual times (ties: the earlier run_at, then the smaller id), with the
    /// candidate each came from.
    public static func pick(
        _ candidates: [QueueShare], waiting: [[Job]], limit: Int
    ) -> [(share: Int, job: Job)] {
        var tagged: [(tag: Double, share: Int, job: Job)] = []
        for (share, jobs) in waiting.enumerated() {
            for (index, job) in jobs.enumerated() {
                tagged.append((candidates[share].tag(ofJobAt: index), share, job))
            }
        }
        tagged.sort { a, b in
            (a.tag, a.job.runAt, a.job.id.description) < (b.tag, b.job.runAt, b.job.id.description)
        }
        return tagged.prefix(limit).map { ($0.share, $0.job) }
    }

    static func precedes(_ a: QueueShare, _ b: QueueShare) -> Bool {
        (a.pass, a.queue, a.customer) < (b.pass, b.queue, b.customer)
    }
}
