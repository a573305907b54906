public import Foundation

/// WorkerRegistration is what a worker process says about itself when it starts.
public struct WorkerRegistration: Sendable, Hashable {
    public let id: String
    public let host: String
    public let pid: Int
    public let queues: [String]
    public let concurrency: Int

    /// Validates the registration.
    public init(id: String, host: String, pid: Int, queues: [String], concurrency: Int) throws(ValidationError) {
        guard !id.isEmpty, id.utf8.count <= 255 else {
            throw ValidationError(field: "worker_id", reason: "must be 1–255 characters")
        }
        self.id = id
        self.host = host
        self.pid = pid
        self.queues = try queues.map { name throws(ValidationError) in try NameRules.workerQueue(name, field: "queues")
        }
        guard concurrency >= 1 else { throw ValidationError(field: "concurrency", reason: "must be at least 1") }
        self.concurrency = concurrency
    }
}

/// Worker is a registered worker process as the registry last heard of it.
public struct Worker: Sendable, Hashable, Codable {
    public let id: String
    public let host: String
    public let pid: Int
    public let queues: [String]
    public let concurrency: Int
    public let startedAt: Date
    public let lastHeartbeatAt: Date
    public let jobsRunning: Int

    /// Restores a worker as a store saved it.
    public init(
        id: String, host: String, pid: Int, queues: [String], concurrency: Int, startedAt: Date, lastHeartbeatAt: Date,
        jobsRunning: Int
    ) {
        self.id = id
        self.host = host
        self.pid = pid
        self.queues = queues
        self.concurrency = concurrency
        self.startedAt = startedAt
        self.lastHeartbeatAt = lastHeartbeatAt
        self.jobsRunning = jobsRunning
    }

    /// Whether the worker heartbeated within `timeout` of `now`.
    public func isLive(at now: Date, timeout: Duration) -> Bool {
        lastHeartbeatAt.adding(timeout) > now
    }

    enum CodingKeys: String, CodingKey {
        case id, host, pid, queues, concurrency
        case startedAt = "started_at"
        case lastHeartbeatAt = "last_heartbeat_at"
        case jobsRunning = "jobs_running"
    }
}
