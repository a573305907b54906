public import ConveyorCore
import Foundation
public import Logging

/// WorkerConfiguration says what a `WorkerService` runs and how. Every setting has a documented
/// default; only the queues are required.
public struct WorkerConfiguration: Sendable {
    /// The queues to take jobs from, each with how many of its jobs may run at once.
    public var queues: [String: Int]
    /// Only this customer's jobs; nil takes every customer's.
    public var customer: String?
    /// How long a claim leases a job (default 30 s). Heartbeats renew it while the handler runs,
    /// so it bounds how long a crashed worker's jobs wait for rescue, not how long a job may run.
    public var lease: Duration
    /// How often a running job's lease is renewed (default a third of the lease).
    public var heartbeatInterval: Duration?
    /// How long a handler may run before it is cancelled and the attempt failed (default 10 min).
    public var handlerTimeout: Duration
    /// On shutdown, how long running jobs may take to finish before they are interrupted and
    /// released (default 25 s, inside Kubernetes' 30 s grace period).
    public var shutdownTimeout: Duration
    /// After `shutdownTimeout`, how long interrupted jobs have to stop and be released before the
    /// worker stops waiting for anything, the store included (default 5 s). A worker told to stop
    /// therefore returns within `shutdownTimeout` + `stopGrace`, and two seconds to deregister,
    /// whatever the store does; a job whose release did not get through is rescued once its lease
    /// expires.
    public var stopGrace: Duration
    /// How long an idle queue waits for a wake-up before it looks anyway (default 1 s). Enqueues in
    /// this process wake it at once; this bounds the delay for jobs enqueued by other processes and
    /// for retries and scheduled jobs falling due.
    public var pollInterval: Duration
    /// How often the worker tells the registry it is alive (default 5 s).
    public var registryHeartbeatInterval: Duration
    /// The id the worker registers under (default host-pid-random).
    public var workerID: String
    /// Receives every event, for tests and instrumentation; must return quickly.
    public var onEvent: (@Sendable (WorkerEvent) -> Void)?
    /// Where the worker reads the time for its rules about time: how long a job claimed ahead has
    /// waited (half its lease, and it goes back) and how long handlers take (how far to claim
    /// ahead). The store's clock by default is the system's; a test passes the store's test clock,
    /// so that these rules follow time it moves instead of time that passes.
    public var clock: any WallClock
    /// What a job may carry; a handler's result over `limits.resultBytes` fails the attempt for
    /// good (default the documented limits; `conveyor work` reads `RESULT_MAX_BYTES`).
    public var limits: JobLimits
    public var logger: Logger

    /// Creates a configuration; every argument but `queues` defaults to the documented default.
    public init(
        queues: [String: Int], customer: String? = nil, lease: Duration = .seconds(30),
        heartbeatInterval: Duration? = nil, handlerTimeout: Duration = .seconds(600),
        shutdownTimeout: Duration = .seconds(25), stopGrace: Duration = .seconds(5),
        pollInterval: Duration = .seconds(1),
        registryHeartbeatInterval: Duration = .seconds(5), workerID: String = WorkerConfiguration.defaultWorkerID(),
        onEvent: (@Sendable (WorkerEvent) -> Void)? = nil, clock: any WallClock = SystemClock(),
        limits: JobLimits = .default, logger: Logger = Logger(label: "conveyor.worker")
    ) {
        self.limits = limits
        self.queues = queues
        self.customer = customer
        self.lease = lease
        self.heartbeatInterval = heartbeatInterval
        self.handlerTimeout = handlerTimeout
        self.shutdownTimeout = shutdownTimeout
        self.stopGrace = stopGrace
        self.pollInterval = pollInterval
        self.registryHeartbeatInterval = registryHeartbeatInterval
        self.workerID = workerID
        self.onEvent = onEvent
        self.clock = clock
        self.logger = logger
    }

    /// `host-pid-xxxx`: unique per process, readable in `conveyor workers`.
    public static func defaultWorkerID() -> String {
        let suffix = String(UInt16.random(in: .min ... .max), radix: 16)
        return "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(suffix)"
    }

    /// The interval between lease renewals actually used.
    var effectiveHeartbeatInterval: Duration { heartbeatInterval ?? lease / 3 }

    /// Checks the settings a user can get wrong.
    func validated() throws(ValidationError) -> WorkerConfiguration {
        guard !queues.isEmpty else { throw ValidationError(field: "queue", reason: "must name at least one queue") }
        for (queue, concurrency) in queues {
            _ = try NameRules.workerQueue(queue)
            guard concurrency >= 1 else {
                throw ValidationError(field: "concurrency", reason: "must be at least 1 (got \(concurrency))")
            }
        }
        _ = try customer.map { name throws(ValidationError) in try NameRules.customer(name) }
        guard ClaimRequest.leases.contains(lease) else {
            throw ValidationError(field: "lease", reason: "must be between 1 and 86400 seconds")
        }
        let interval = effectiveHeartbeatInterval
        guard interval > .zero, interval < lease else {
            throw ValidationError(field: "heartbeat_interval", reason: "must be shorter than the lease")
        }
        for (field, value) in [
            ("timeout", handlerTimeout), ("shutdown_timeout", shutdownTimeout), ("stop_grace", stopGrace),
            ("poll_interval", pollInterval),
        ]
        where value <= .zero {
            throw ValidationError(field: field, reason: "must be positive")
        }
        return self
    }
}
