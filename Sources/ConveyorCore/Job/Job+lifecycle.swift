public import Foundation

/// The lifecycle: every state change of a job goes through one of these methods, whichever engine
/// stores it. Each checks the transition against `JobState.target(of:)` and, for the lease holder's
/// operations, the fencing token, and throws a typed `JobStoreError` without changing anything.
extension Job {
    /// Whether a claim at `now` may take this job.
    public func isClaimable(at now: Date) -> Bool {
        JobState.claimable.contains(state) && runAt <= now
    }

    /// Leases the job to a worker: a fresh token, `attempt + 1`, and an expiry `lease` from now.
    public mutating func claim(token: String, workerID: String?, lease: Duration, at now: Date) throws(JobStoreError) {
        let now = now.truncatedToMilliseconds
        guard isClaimable(at: now) else { throw JobStoreError.illegalTransition(id: id, from: state, event: .claim) }
        try move(.claim)
        attempt += 1
        leaseToken = token
        leaseExpiresAt = now.adding(lease).truncatedToMilliseconds
        self.workerID = workerID
        attemptedAt = now
        progress = nil
    }

    /// Tenancy before fencing: throws `notFound` when `lease` is held to another customer, so that
    /// no answer to it says anything of this job.
    public func checkScope(_ lease: Lease) throws(JobStoreError) {
        if let customer = lease.customer, customer != self.customer { throw .notFound(id: id) }
    }

    /// Fencing: throws `leaseLost` unless `token` is this job's current, unexpired lease
    /// (`cancelled` when the job was cancelled, so that its worker can tell).
    public func checkLease(_ token: String, at now: Date) throws(JobStoreError) {
        guard state != .cancelled else { throw JobStoreError.cancelled(id: id) }
        guard state == .running, leaseToken == token, let expiry = leaseExpiresAt, expiry > now else {
            throw JobStoreError.leaseLost(id: id)
        }
    }

    /// Extends the lease of a running job to `lease` from now.
    public mutating func heartbeat(token: String, lease: Duration, at now: Date) throws(JobStoreError) {
        try checkLease(token, at: now)
        try move(.heartbeat)
        leaseExpiresAt = now.adding(lease).truncatedToMilliseconds
    }

    /// Marks the job done, with what it produced.
    public mutating func complete(token: String, result: JobPayload? = nil, at now: Date) throws(JobStoreError) {
        try checkLease(token, at: now)
        try move(.complete)
        finish(at: now)
        self.result = result
    }

    /// Records a failed attempt. The job is retried after the policy's backoff while attempts
    /// remain and the error is retryable; otherwise it goes to the dead-letter queue.
    public mutating func fail(
        token: String, message: String, retryable: Bool, policy: RetryPolicy, unitRandom: Double,
        limits: JobLimits = .default, at now: Date
    ) throws(JobStoreError) {
        try checkLease(token, at: now)
        try recordFailure(
            message: message, deadReason: retryable ? .exhausted : .nonRetryable,
            events: (.failRetryable, .failDead), policy: policy, unitRandom: unitRandom, limits: limits, at: now)
    }

    /// Rescues a job whose worker stopped heartbeating: treated exactly like a failed attempt with
    /// the error "lease expired: worker presumed dead", and dead with reason `stale` when it was the
    /// last attempt. The caller decides staleness (lease expiry plus grace); no token is needed.
    public mutating func rescueStale(
        policy: RetryPolicy, unitRandom: Double, limits: JobLimits = .default, at now: Date
    )
        throws(JobStoreError)
    {
        guard state == .running else {
            throw JobStoreError.illegalTransition(id: id, from: state, event: .rescueRetryable)
        }
        try recordFailure(
            message: Job.staleErrorMessage, deadReason: .stale, events: (.rescueRetryable, .rescueDead), policy: policy,
            unitRandom: unitRandom, limits: limits, at: now)
    }

    /// The error a stale rescue records.
    public static let staleErrorMessage = "lease expired: worker presumed dead"

    /// Keeps the progress the lease holder reports; the state does not change.
    public mutating func recordProgress(token: String, _ progress: JobPayload, at now: Date) throws(JobStoreError) {
        try checkLease(token, at: now)
        self.progress = progress
    }

    /// Gives a leased job back without counting the attempt: it becomes claimable after `delay`,
    /// so a worker that shuts down or snoozes a job does not spend its budget.
    public mutating func release(token: String, after delay: Duration, at now: Date) throws(JobStoreError) {
        let now = now.truncatedToMilliseconds
        try checkLease(token, at: now)
        let next = max(now, now.adding(delay).truncatedToMilliseconds)
        try move(next > now ? .releaseLater : .release)
        attempt -= 1
        self.runAt = next
        clearLease()
    }

    /// Cancels a job that has not finished. A running job's lease is revoked, so its worker's next
    /// heartbeat or outcome is refused with `cancelled`.
    public mutating func cancel(at now: Date) throws(JobStoreError) {
        try move(.cancel)
        finish(at: now)
    }

    /// Moves a dead job back to `available` with a fresh attempt budget; the replay is counted and
    /// the error history kept.
    public mutating func replay(at now: Date, runAt turn: Date? = nil) throws(JobStoreError) {
        let now = now.truncatedToMilliseconds
        let turn = max(turn?.truncatedToMilliseconds ?? now, now)
        try move(turn > now ? .replayLater : .replay)
        attempt = 0
        replayCount += 1
        deadReason = nil
        finishedAt = nil
        runAt = turn
    }

    /// Drops the idempotency key, for a replayed job whose key a newer live job now holds.
    public mutating func dropIdempotencyKey() {
        idempotencyKey = nil
    }

    private mutating func recordFailure(
        message: String, deadReason reason: DeadReason, events: (retry: JobEvent, dead: JobEvent), policy: RetryPolicy,
        unitRandom: Double, limits: JobLimits, at now: Date
    ) throws(JobStoreError) {
        let now = now.truncatedToMilliseconds
        let retry = reason != .nonRetryable && attempt < maxAttempts
        try move(retry ? events.retry : events.dead)
        errors.append(AttemptError(attempt: attempt, at: now, message: message, limits: limits))
        if errors.count > limits.errorHistoryCount {
            errors.removeFirst(errors.count - limits.errorHistoryCount)
        }
        firstFailedAt = firstFailedAt ?? now
        lastFailedAt = now
        if retry {
            runAt = now.adding(policy.delay(afterAttempt: attempt, unitRandom: unitRandom)).truncatedToMilliseconds
            clearLease()
        } else {
            deadReason = reason
            finish(at: now)
        }
    }

    private mutating func move(_ event: JobEvent) throws(JobStoreError) {
        guard let next = state.target(of: event) else {
            throw JobStoreError.illegalTransition(id: id, from: state, event: event)
        }
        state = next
    }

    private mutating func finish(at now: Date) {
        finishedAt = now.truncatedToMilliseconds
        clearLease()
    }

    private mutating func clearLease() {
        leaseToken = nil
        leaseExpiresAt = nil
        workerID = nil
    }
}

extension Job {
    /// The change a store applies to record a failed attempt under `lease` — the same on every
    /// engine: the store's retry policy and limits, and jitter drawn here, outside the pure rule.
    public static func failing(
        _ lease: Lease, message: String, retryable: Bool, retryAfter: Duration? = nil, options: JobStoreOptions
    ) -> @Sendable (inout Job, Date) throws -> Void {
        // A delay the worker chose is the policy for this one retry.
        let policy = retryAfter.map { RetryPolicy(base: $0, cap: $0, jitter: 0) } ?? options.retryPolicy
        let limits = options.limits
        return { job, now in
            try job.checkScope(lease)
            try job.fail(
                token: lease.token, message: message, retryable: retryable, policy: policy,
                unitRandom: Double.random(in: 0..<1), limits: limits, at: now)
        }
    }
}
