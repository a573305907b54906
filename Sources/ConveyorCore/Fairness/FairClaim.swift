/// FairClaim is how a claim shares a queue between customers, pure so that both engines follow
/// it (SQLite calls it; PostgreSQL's claim statement is the same rule in SQL, and the conformance
/// suite holds both to it).
///
/// A claim of `limit` jobs considers the `candidateCount(limit:)` shares with the smallest pass
/// among those with a job that may run now, reads from each at most its weight's part of the limit
/// (at least one), and takes the jobs with the smallest virtual times: a share's k-th job (from 0)
/// at `pass + k / weight`. Within a share jobs go in its claim order (priority, then run_at, then
/// id), so a customer's priorities order only its own jobs and can never push another customer's
/// back.
///
/// A claim splits its jobs among few shares — runs of `quantum` of a customer's jobs rather than
/// one job from each of `limit` customers — because a customer's waiting jobs lie together on
/// disk and in the claim-order index: 16 jobs from 4 customers touch a few pages, from 16
/// customers about 4 times as many (BENCHMARKS.md). Fairness is kept over claims, not inside one: each
/// job taken moves its share's pass on by 1/weight all the same, so the next claims go to the
/// shares left behind. At least two shares when the limit allows, so that two customers' weights
/// hold within every claim.
///
/// Concurrency caps narrow this without changing its order: a share with no room under its caps
/// is no candidate (so it holds nobody back), a candidate reads at most its room, and the picked
/// jobs of one customer, or of one queue, stop at that customer's or queue's room.
public enum FairClaim {
    /// The most jobs of one share a claim aims to take together (see above).
    public static let quantum = 4

    /// How many shares a claim of `limit` considers: one per `quantum` jobs, at least two, at
    /// most `limit`.
    public static func candidateCount(limit: Int) -> Int {
        min(limit, max(2, (limit + quantum - 1) / quantum))
    }

    /// The shares a claim of `limit` considers, from `shares` in any order: the
    /// `candidateCount(limit:)` with the smallest pass (ties by queue, then customer).
    public static func candidates(_ shares: [QueueShare], limit: Int) -> [QueueShare] {
        Array(shares.sorted(by: precedes).prefix(candidateCount(limit: limit)))
    }

    /// How many waiting jobs to read from each candidate: its weight's part of `limit`, rounded
    /// up, so that a claim can fill its limit from the candidates in one read while reading at
    /// most `limit` + the number of candidates rows.
    /// With caps, at most each candidate's room (`rooms`, one per candidate; none: no caps).
    public static func reads(_ candidates: [QueueShare], limit: Int, rooms: [CapRoom] = []) -> [Int] {
        let total = candidates.reduce(0) { $0 + $1.weight }
        return candidates.enumerated().map { index, share in
            let part = max(1, min(limit, Int((Double(limit) * share.weight / total).rounded(.up))))
            return min(part, rooms.isEmpty ? part : rooms[index].share ?? part)
        }
    }

    /// The jobs to claim: of each candidate's `waiting` jobs (in its claim order), the `limit`
    /// with the smallest virtual times (ties: the earlier run_at, then the smaller id), with the
    /// candidate each came from.
    /// With caps (`rooms`, one per candidate), a job is left out when its customer's earlier jobs
    /// in this order fill the customer's room, or its queue's fill the queue's.
    public static func pick(
        _ candidates: [QueueShare], waiting: [[Job]], limit: Int, rooms: [CapRoom] = []
    ) -> [(share: Int, job: Job)] {
        var tagged: [(tag: Double, share: Int, job: Job)] = []
        for (share, jobs) in waiting.enumerated() {
            for (index, job) in jobs.enumerated() {
                tagged.append((candidates[share].tag(ofJobAt: index), share, job))
            }
        }
        tagged.sort { a, b in
            (a.tag, a.job.runAt, a.job.id) < (b.tag, b.job.runAt, b.job.id)
        }
        guard !rooms.isEmpty else { return tagged.prefix(limit).map { ($0.share, $0.job) } }
        // Each job ranked among its customer's and its queue's, in this order; a job beyond
        // either room is left out but still ranked, as PostgreSQL's window functions rank it.
        var customerRank: [String: Int] = [:]
        var queueRank: [String: Int] = [:]
        let fitting = tagged.filter { candidate in
            let room = rooms[candidate.share]
            let byCustomer = customerRank[candidate.job.customer, default: 0] + 1
            let byQueue = queueRank[candidate.job.queue, default: 0] + 1
            customerRank[candidate.job.customer] = byCustomer
            queueRank[candidate.job.queue] = byQueue
            return byCustomer <= (room.customer ?? byCustomer) && byQueue <= (room.queue ?? byQueue)
        }
        return fitting.prefix(limit).map { ($0.share, $0.job) }
    }

    /// Whether a candidate ran out — has no job left that may run now — once a claim asked it
    /// for `reads` jobs, read `read` and took `taken` of them: fewer read than asked, all taken.
    /// Its ready_at then moves on to its next waiting job, so that no later claim considers it
    /// for nothing. (PostgreSQL's claim statement computes the same as `ran_out`; SQLite asks
    /// for one job more than the candidate may give, so that it sees the last ones go.)
    public static func ranOut(reads: Int, read: Int, taken: Int) -> Bool {
        read < reads && taken == read
    }

    static func precedes(_ a: QueueShare, _ b: QueueShare) -> Bool {
        (a.pass, a.queue, a.customer) < (b.pass, b.queue, b.customer)
    }
}
