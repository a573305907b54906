public import ConveyorCore
public import Testing

/// StoreConformanceCheck is one behaviour every `JobStore` engine must have. Engines run the whole
/// list as a parameterised test, one fresh store per check:
///
/// ```swift
/// @Test(arguments: JobStoreConformance.checks)
/// func conformance(_ check: StoreConformanceCheck) async throws {
///     let clock = TestClock()
///     try await check.run(StoreHarness(store: try await makeStore(clock, JobStoreConformance.options), clock: clock))
/// }
/// ```
public struct StoreConformanceCheck: Sendable, CustomTestStringConvertible {
    /// What the check shows, as a sentence.
    public let name: String
    /// The store role whose section the check is in (`JobQueue`, `TenancyStore`…).
    public private(set) var role = ""
    let body: @Sendable (StoreHarness) async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable (StoreHarness) async throws -> Void) {
        self.name = name
        self.body = body
    }

    func inSection(_ role: String) -> StoreConformanceCheck {
        var check = self
        check.role = role
        return check
    }

    /// Runs the check against a fresh store.
    public func run(_ harness: StoreHarness) async throws {
        try await body(harness)
    }

    public var testDescription: String { "\(role): \(name)" }
}

/// JobStoreConformance is the suite every engine passes unchanged, modelled on River's
/// `riverdrivertest`: each behaviour of the store is one check, in the section of its role.
public enum JobStoreConformance {
    /// The options every engine's store must be opened with for the suite: a short backoff with a
    /// small cap, a small error history, and a global backlog quota, so that growth, cap and bounds
    /// show in a few steps.
    public static let options = JobStoreOptions(
        retryPolicy: RetryPolicy(base: .seconds(10), cap: .seconds(300), jitter: 0.1),
        limits: JobLimits(errorMessageBytes: 256, errorHistoryCount: 5), backlogQuota: 5_000, schedulesPerCustomer: 3)

    /// The checks of each store role.
    public static let sections: [(role: String, checks: [StoreConformanceCheck])] = [
        (
            "JobQueue",
            enqueueChecks + idempotencyChecks + claimChecks + fairnessChecks + concurrencyChecks + leaseChecks
                + failureChecks
                + cancelChecks + wakeupChecks + quotaChecks
        ),
        ("JobQueries", listingChecks),
        ("DeadLetterStore", deadLetterChecks),
        ("StaleJobStore", staleChecks),
        ("RetentionStore", retentionChecks),
        ("WorkerRegistry", workerChecks),
        ("TenancyStore", customerChecks),
        ("RateLimitStore", rateLimitChecks),
        ("HealthReadings and LeaderElector", healthChecks),
        ("PauseStore", pauseChecks),
        ("CapStore", capChecks),
        ("SessionStore", sessionChecks),
        ("EventStore", eventChecks),
        ("WebhookStore", webhookChecks),
        ("ScheduleStore", scheduleChecks),
    ]

    /// Every check, section by section.
    public static let checks: [StoreConformanceCheck] = sections.flatMap { section in
        section.checks.map { $0.inSection(section.role) }
    }
}
