/// LeaderElector makes one process among all those sharing a database the leader for a role
/// ("stale-job-rescuer"), so that cluster-wide maintenance runs exactly once. Each engine uses what
/// its database provides: PostgreSQL an advisory lock held on a dedicated connection, SQLite a
/// leader row with a lease.
public protocol LeaderElector: Sendable {
    /// Campaigns for `role` until cancelled, running `body` whenever this process is the leader.
    /// `body` is cancelled when leadership is lost (the connection that held it dropped, or the
    /// lease could not be renewed). A follower tries again every `retry`, which bounds how long
    /// a dead leader's role stays vacant.
    func lead(_ role: String, retry: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws

    /// Who leads `role` now, and since when; nil when nobody does.
    func leader(of role: String) async throws -> Leadership?
}
