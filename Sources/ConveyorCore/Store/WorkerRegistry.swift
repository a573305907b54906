/// WorkerRegistry knows the worker processes: each registers, heartbeats while alive, and is
/// forgotten when it stops.
public protocol WorkerRegistry: Sendable {
    /// Registers (or re-registers) a worker process.
    func registerWorker(_ registration: WorkerRegistration) async throws -> Worker

    /// Records that a worker is alive and how many jobs it runs.
    func heartbeatWorker(id: String, jobsRunning: Int) async throws -> Worker

    /// Every registered worker, oldest first.
    func workers() async throws -> [Worker]

    /// Forgets a worker.
    func removeWorker(id: String) async throws
}
