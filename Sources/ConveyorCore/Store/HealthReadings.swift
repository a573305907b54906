/// HealthReadings are what health checks read besides the other roles: the database's round trip
/// and each queue's backlog.
public protocol HealthReadings: Sendable {
    /// One round trip to the database and back (`SELECT 1`); throws `unavailable` when it does not
    /// answer. Health checks time it; `conveyor bench roundtrip` measures the driver's floor with it.
    func ping() async throws

    /// For each queue with jobs ready to run (waiting, run time come), how many and since when the
    /// oldest has been ready.
    func backlogs() async throws -> [QueueBacklog]

    /// How many jobs run now, per customer and queue (queues with none are absent).
    func running() async throws -> [QueueCounts]
}
