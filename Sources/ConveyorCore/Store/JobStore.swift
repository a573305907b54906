/// JobStore is a whole storage engine (SQLite and PostgreSQL): every role at once, checked by the
/// conformance suite in ConveyorTestSupport, a section per role. A part of the system takes the
/// role it uses — the rate limiter a `RateLimitStore`, the rescuer a `StaleJobStore` — and only
/// what assembles a process takes the whole store.
public typealias JobStore =
    JobQueue & JobQueries & DeadLetterStore & StaleJobStore & RetentionStore & WorkerRegistry & TenancyStore
    & RateLimitStore & HealthReadings & LeaderElector & PauseStore & CapStore & SessionStore & EventStore & WebhookStore
    & ScheduleStore

/// JobStoreOptions are the engine-independent settings of a store.
public struct JobStoreOptions: Sendable {
    public var retryPolicy: RetryPolicy
    public var limits: JobLimits
    /// The most jobs a customer may have waiting, where the customer has no quota of its own;
    /// nil: no limit.
    public var backlogQuota: Int?
    /// How many schedules a customer may have (`SCHEDULES_PER_CUSTOMER`).
    public var schedulesPerCustomer: Int

    /// Creates options; every argument defaults to the documented default.
    public init(
        retryPolicy: RetryPolicy = .default, limits: JobLimits = .default, backlogQuota: Int? = nil,
        schedulesPerCustomer: Int = Schedule.defaultPerCustomer
    ) {
        self.retryPolicy = retryPolicy
        self.limits = limits
        self.backlogQuota = backlogQuota
        self.schedulesPerCustomer = schedulesPerCustomer
    }

    /// The options the settings give (`BACKLOG_QUOTA`, `RESULT_MAX_BYTES`, `SCHEDULES_PER_CUSTOMER`); what they leave out
    /// keeps its default.
    public init(settings: Settings) throws(ValidationError) {
        self.init(
            limits: try JobLimits(settings: settings),
            backlogQuota: try settings.integer("BACKLOG_QUOTA", in: Customer.backlogQuotas),
            schedulesPerCustomer: try settings.integer("SCHEDULES_PER_CUSTOMER", in: 0...1_000_000)
                ?? Schedule.defaultPerCustomer)
    }
}
