/// StaleJobStore finds and rescues running jobs whose lease expired: their worker died or lost the
/// database, and the job must run again elsewhere.
public protocol StaleJobStore: Sendable {
    /// Running jobs whose lease expired more than `grace` ago.
    func staleJobs(grace: Duration) async throws -> [Job]

    /// Rescues every stale job (see `Job.rescueStale`) and returns them as they are now.
    func rescueStaleJobs(grace: Duration) async throws -> [Job]
}
