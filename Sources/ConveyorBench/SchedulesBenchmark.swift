public import ConveyorCore
import ConveyorMaintenance
import Foundation
import Histogram
import Logging
import ServiceLifecycle
import Synchronization

/// SchedulesBenchmark measures the scheduler as every `serve` runs it: for each size in `sizes`,
/// that many schedules (spread over `customers` customers) firing every minute, for `minutes`
/// ticks; each job's lateness (its `created_at` after its tick), the scheduler's database time per
/// minute (its passes are its store calls), and the cost per schedule fired — the same at every
/// size when nothing scans all schedules. Then an idle pass (nothing due) at that size.
public struct SchedulesBenchmark: Sendable {
    let store: any JobStore
    let sizes: [Int]
    let customers: Int
    let minutes: Int

    public init(store: any JobStore, sizes: [Int], customers: Int, minutes: Int) {
        self.store = store
        self.sizes = sizes
        self.customers = customers
        self.minutes = minutes
    }

    /// What the scheduler did during a run.
    final class Record: Sendable {
        let lateness = Mutex(
            Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three))
        let made = Mutex(0)
        let busy = Mutex(Duration.zero)
        let bell = Doorbell()
    }

    public func run() async throws -> [String] {
        var logger = Logger(label: "conveyor.bench.schedules")
        logger.logLevel = .warning
        let names = (0..<customers).map { "sc\($0)" }
        for name in names where try await store.customer(named: name) == nil {
            _ = try await store.createCustomer(name)
        }
        var lines: [String] = []
        for size in sizes {
            for index in 0..<size {
                _ = try await store.createSchedule(
                    try ScheduleDraft(
                        customer: names[index % names.count], name: "s\(index)", cron: "* * * * *", timezone: nil,
                        missed: nil, queue: "bench-schedules", type: "bench.noop", payload: JobPayload(json: "{}"),
                        priority: nil, maxAttempts: nil))
            }
            let record = Record()
            let scheduler = Scheduler(
                store: store,
                onFire: { jobs in
                    record.lateness.withLock { histogram in
                        for job in jobs {
                            let late = job.createdAt.timeIntervalSince(job.scheduledFor ?? job.createdAt)
                            _ = histogram.record(UInt64(max(0, late) * 1_000_000))
                        }
                    }
                    record.made.withLock { $0 += jobs.count }
                    record.bell.ringAll()
                },
                onPass: { took, made in if made > 0 { record.busy.withLock { $0 += took } } }, logger: logger)
            let group = ServiceGroup(services: [scheduler], logger: logger)
            let running = Task { try await group.run() }
            let expected = size * minutes
            let deadline = ContinuousClock.now + .seconds(60 * (minutes + 2))
            while record.made.withLock({ $0 }) < expected {
                let ticket = record.bell.ticket()
                guard ContinuousClock.now < deadline else {
                    throw JobStoreError.unavailable(reason: "the schedules' jobs stopped coming")
                }
                _ = await record.bell.wait(for: nil, after: ticket, timeout: .seconds(1))
            }
            await group.triggerGracefulShutdown()
            _ = try? await running.value

            // An idle pass: nothing due, whatever the number of schedules.
            var idle: [Duration] = []
            let quiet = Scheduler(store: store, logger: logger)
            for _ in 0..<20 {
                let started = ContinuousClock.now
                _ = try await quiet.pass()
                idle.append(ContinuousClock.now - started)
            }
            idle.sort()

            let lateness = record.lateness.withLock { $0 }
            let busy = record.busy.withLock { $0 }
            let made = record.made.withLock { $0 }
            lines.append(
                "schedules: \(size) firing every minute, \(minutes) ticks (\(made) jobs): tick → job enqueued p50 \(Self.ms(lateness.valueAtPercentile(50))) ms p99 \(Self.ms(lateness.valueAtPercentile(99))) ms max \(Self.ms(lateness.max)) ms; the scheduler's database time \(Self.ms(busy / minutes)) ms a minute, \(String(format: "%.1f", Double(busy / .microseconds(1)) / Double(max(made, 1)))) µs per job; an idle pass \(Self.ms(idle[idle.count / 2])) ms"
            )
            for index in 0..<size {
                try await store.deleteSchedule(customer: names[index % names.count], name: "s\(index)")
            }
        }
        return lines
    }

    static func ms(_ micros: UInt64) -> String { String(format: "%.1f", Double(micros) / 1000) }

    static func ms(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration / .microseconds(1)) / 1000)
    }
}
