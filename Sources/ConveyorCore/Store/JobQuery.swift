/// JobFilter selects jobs by the fields users filter on; nil means "any".
public struct JobFilter: Sendable, Hashable {
    public var customer: String?
    public var queue: String?
    public var states: [JobState]?
    public var type: String?

    /// Creates a filter, validating each name given.
    public init(
        customer: String? = nil, queue: String? = nil, states: [JobState]? = nil, type: String? = nil
    )
        throws(ValidationError)
    {
        self.customer = try customer.map { name throws(ValidationError) in try NameRules.customer(name) }
        self.queue = try queue.map { name throws(ValidationError) in try NameRules.queue(name) }
        self.states = states
        self.type = try type.map { name throws(ValidationError) in try NameRules.type(name) }
    }

    /// Every job.
    public static let all = try! JobFilter()
}

/// JobQuery is one page of a newest-first listing. The cursor is the id of the last job of the
/// previous page: ids are time-ordered, so pages have no gaps or repeats while jobs are added.
public struct JobQuery: Sendable, Hashable {
    /// The allowed page sizes.
    public static let limits = 1...1000
    public var filter: JobFilter
    public var limit: Int
    /// Opaque to users: the `nextCursor` of the previous page.
    public var cursor: String?

    /// Creates a query; `limit` defaults to 100 and must be within `JobQuery.limits`.
    public init(filter: JobFilter = .all, limit: Int = 100, cursor: String? = nil) throws(ValidationError) {
        guard JobQuery.limits.contains(limit) else {
            throw ValidationError(field: "limit", reason: "must be between 1 and 1000 (got \(limit))")
        }
        if let cursor, JobID(cursor) == nil {
            throw ValidationError(field: "cursor", reason: "is not a cursor this server handed out")
        }
        self.filter = filter
        self.limit = limit
        self.cursor = cursor
    }

    /// The cursor as the job id it stands for.
    public var cursorID: JobID? { cursor.flatMap(JobID.init) }
}

/// JobPage is one page of a listing.
public struct JobPage: Sendable, Hashable {
    public let jobs: [Job]
    /// The cursor for the next page; nil on the last page.
    public let nextCursor: String?

    /// Creates a page from up to `limit + 1` rows fetched newest first.
    public init(rows: [Job], limit: Int) {
        jobs = Array(rows.prefix(limit))
        nextCursor = rows.count > limit ? jobs.last.map { $0.id.description } : nil
    }
}

/// QueueCounts is how many jobs one customer's queue holds in each state.
public struct QueueCounts: Sendable, Hashable {
    public let customer: String
    public let queue: String
    /// Jobs per state; a state with no jobs is absent.
    public var counts: [JobState: Int]

    /// Creates the counts of one queue.
    public init(customer: String, queue: String, counts: [JobState: Int]) {
        self.customer = customer
        self.queue = queue
        self.counts = counts
    }

    /// All jobs in the queue.
    public var total: Int { counts.values.reduce(0, +) }

    /// Gathers `(customer, queue, what, count)` rows into counts per queue, ordered by customer
    /// then queue. `what` is a state, or `waiting` — scheduled, available and retryable together,
    /// as an engine counts them off its claim-order index —, from which the scheduled and
    /// retryable counted apart are taken to leave the available ones.
    public static func gather(_ rows: [(customer: String, queue: String, what: String, count: Int)]) -> [QueueCounts] {
        var byQueue: [String: QueueCounts] = [:]
        var waiting: [String: Int] = [:]
        for row in rows {
            let key = row.customer + "\u{0}" + row.queue
            var entry = byQueue[key] ?? QueueCounts(customer: row.customer, queue: row.queue, counts: [:])
            if row.what == "waiting" {
                waiting[key, default: 0] += row.count
            } else if let state = JobState(rawValue: row.what) {
                entry.counts[state, default: 0] += row.count
            }
            byQueue[key] = entry
        }
        for (key, all) in waiting {
            let counts = byQueue[key]?.counts ?? [:]
            let available = all - (counts[.scheduled] ?? 0) - (counts[.retryable] ?? 0)
            if available > 0 { byQueue[key]?.counts[.available] = available }
        }
        return byQueue.values.sorted { ($0.customer, $0.queue) < ($1.customer, $1.queue) }
    }
}
