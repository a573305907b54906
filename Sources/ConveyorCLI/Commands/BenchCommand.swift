import ArgumentParser
import ConveyorBench
import ConveyorCore
import ConveyorPostgres
import ConveyorSQLite
import ConveyorServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `conveyor bench`: measures the store, the worker runtime and the HTTP API on this machine.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the store, the worker runtime and the HTTP API on this machine.",
        subcommands: [
            StoreBenchCommand.self, HTTPBenchCommand.self, EventsBenchCommand.self, WebhooksBenchCommand.self,
            SchedulesBenchCommand.self,
            CancelBenchCommand.self,
            FloorsBenchCommand.self,
        ],
        defaultSubcommand: StoreBenchCommand.self)
}

/// `conveyor bench [store]`: the store and the worker runtime.
struct StoreBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measure enqueue and drain throughput, enqueue→start latency and idle CPU (the default).",
        discussion: """
            Each scenario runs on a fresh temporary SQLite file unless --database names one (jobs \
            then go to queues of their own, named bench-…, so other jobs are not touched). See BENCHMARKS.md for the \
            recorded figures and the commands that produced them.
            """)

    @Option(help: "Jobs to enqueue and to drain.")
    var jobs: Int = 20_000

    @Option(help: "Jobs per batch in the batched enqueue.")
    var batch: Int = 100

    @Option(help: "Jobs running at once while draining and in the latency run.")
    var concurrency: Int = 16

    @Option(help: "Arrivals per second in the latency run.")
    var rate: Int = 500

    @Option(help: "Jobs in the latency run.")
    var latencyJobs: Int = 5_000

    @Option(help: "Seconds the idle run watches an idle worker.")
    var idleSeconds: Int = 10

    @Option(help: "Runs of each throughput scenario; the median is reported.")
    var runs: Int = 5

    @Option(
        help: ArgumentHelp(
            "Scenarios to run, comma separated, of \(BenchmarkScenario.allCases.map(\.rawValue).joined(separator: ",")) (default: the first six).",
            valueName: "list"))
    var scenarios: String = BenchmarkScenario.defaults.map(\.rawValue).joined(separator: ",")

    @Option(help: "Customers sharing the queue in drain-customers (jobs / customers each).")
    var customers: Int = 1000

    @Option(help: "Jobs of one customer waiting in fair-latency.")
    var backlog: Int = 1_000_000

    @Option(
        name: .customLong("backlog-job-ms"),
        help: "How long each backlog job runs in fair-latency, in milliseconds (0: a no-op, the drain flat out).")
    var backlogJobMilliseconds: Int = 0

    @Option(help: "Each key's quota, requests per 60 s, in rate-limit (1 to 1,000,000).")
    var quota: Int = 100

    @Option(help: "The queue every scenario uses (default: a fresh bench-… queue per run).")
    var queue: String?

    @Option(help: "The database to measure (default: a temporary SQLite file, removed afterwards).")
    var database: String?

    func run() async throws {
        let chosen = try scenarios.split(separator: ",").map { name throws(CommandFailure) in
            guard let scenario = BenchmarkScenario(rawValue: String(name)) else {
                throw CommandFailure(
                    "unknown scenario \(name); choose from \(BenchmarkScenario.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            return scenario
        }
        for (name, value) in [
            ("jobs", jobs), ("batch", batch), ("concurrency", concurrency), ("rate", rate),
            ("latency-jobs", latencyJobs), ("idle-seconds", idleSeconds), ("runs", runs), ("customers", customers),
            ("backlog", backlog),
        ]
        where value < 1 {
            throw CommandFailure("--\(name) must be at least 1")
        }
        guard (1...RateLimitPolicy.maximumRequests).contains(quota) else {
            throw CommandFailure("--quota must be from 1 to \(RateLimitPolicy.maximumRequests)")
        }
        guard backlogJobMilliseconds >= 0 else { throw CommandFailure("--backlog-job-ms must be at least 0") }
        let options = BenchmarkOptions(
            jobs: jobs, batchSize: min(batch, 1000), concurrency: concurrency, rate: rate, latencyJobs: latencyJobs,
            idleDuration: .seconds(idleSeconds), runs: runs, queue: queue, customers: customers, backlog: backlog,
            backlogJobDuration: .milliseconds(backlogJobMilliseconds), quota: quota)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if let database {
            let location = try DatabaseOptions.parse(["--database", database])
            print("conveyor bench on \(try location.location()) — \(cores) cores")
            let store = try await location.open(mustExist: false)
            // On PostgreSQL the latency run enqueues over a second pool, so a job wakes the worker
            // through NOTIFY, as between processes, not through the in-process doorbell.
            let producer: (any JobStore)? =
                store is PostgresJobStore ? try await location.open(mustExist: false, migrate: false) : nil
            // The measured store listens while the scenarios run (a service of this command).
            let listening = (store as? PostgresJobStore).map { postgres in Task { await postgres.run() } }
            defer { listening?.cancel() }
            let driverPing = (store as? PostgresJobStore).map { postgres in
                { @Sendable in try await postgres.driverPing() }
            }
            let benchmark = Benchmark(store: store, producer: producer, driverPing: driverPing, options: options)
            for scenario in chosen { print(try await failing { try await benchmark.run(scenario) }.line) }
            return
        }
        // By default each scenario gets a fresh file, so that one scenario's leftover jobs do not
        // weigh on the next.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "conveyor-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        print("conveyor bench on fresh SQLite files in \(directory.path) — \(cores) cores")
        for scenario in chosen {
            let location = try DatabaseOptions.parse([
                "--database", directory.appendingPathComponent("\(scenario.rawValue).sqlite").path,
            ])
            let benchmark = Benchmark(store: try await location.open(mustExist: false), options: options)
            print(try await failing { try await benchmark.run(scenario) }.line)
        }
    }
}

/// `conveyor bench http`: single-job enqueue over HTTP beside a bare route and a bare insert, in
/// one process and run.
struct HTTPBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Measure single-job enqueue over HTTP beside a bare route and a bare insert.",
        discussion: """
            The servers run in this process on loopback: a bare route returning a constant, a bare \
            insert (the enqueue body decoded, the job inserted with one statement through the same \
            driver, no authentication or limits), the API, and the API behind the rate limiter. The same keep-alive clients load one after the other, --runs times. \
            Each connection enqueues for a customer of its own (bench-http-N, made if missing, with \
            a quota no run reaches) with a key made for the run and revoked after it. See \
            BENCHMARKS.md.
            """)

    @Option(help: "Concurrent keep-alive connections.")
    var connections: Int = 16

    @Option(help: "Requests per measurement.")
    var requests: Int = 20_000

    @Option(help: "Measurements of each target; the median is reported.")
    var runs: Int = 3

    @Option(help: "Requests per second offered in all, on a fixed schedule (default: as fast as answered).")
    var rate: Int?

    @Option(
        help:
            "Also drain this many jobs in each run over the HTTP lease protocol (claim 10, complete each, 8 clients) and in process, in turn."
    )
    var leaseDrain: Int = 0

    @Option(help: "The database (default: a temporary SQLite file, removed afterwards).")
    var database: String?

    func run() async throws {
        for (name, value) in [
            ("connections", connections), ("requests", requests), ("runs", runs), ("rate", rate ?? 1),
            ("lease-drain", leaseDrain + 1),
        ]
        where value < 1 {
            throw CommandFailure("--\(name) must be at least 1")
        }
        let (store, scratch) = try await BenchDatabase.open(database, named: "http")
        defer { scratch.remove() }
        let benchmark = HTTPBenchmark(
            store: store, bareInsert: try bareInsert(into: store),
            options: .init(
                connections: connections, requests: requests, runs: runs, rate: rate, leaseDrain: leaseDrain))
        let results = try await failing { try await benchmark.run() }
        for result in results { print(result.line) }
        for line in HTTPBenchmark.comparisons(results) { print(line) }
    }
}

/// `conveyor bench events`: job events to many SSE subscribers while a worker drains beside them.
struct EventsBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Measure job events reaching many SSE subscribers while a worker drains beside them.",
        discussion: """
            In this process on loopback: --subscribers customers (c0, c1, …, made if missing), each \
            with an event stream of its own, their --jobs jobs spread evenly. Drains them with no \
            stream open and with all open, in turn, --runs times, and reports both throughputs and \
            each event's delivery time (stamped by the store → received). With --nodes 2 the \
            worker drains through a store of its own, as another node does; with --rate the jobs are \
            enqueued at that pace while the worker drains them. See BENCHMARKS.md.
            """)

    @Option(help: "Event streams, one per customer.")
    var subscribers: Int = 1000

    @Option(help: "Jobs per drain, spread over the customers.")
    var jobs: Int = 20_000

    @Option(help: "The worker's concurrency.")
    var concurrency: Int = 10

    @Option(help: "Drains of each kind; the median is reported.")
    var runs: Int = 2

    @Option(help: "1: the worker drains through the API's store; 2: through a store of its own, as another node.")
    var nodes: Int = 1

    @Option(help: "Jobs enqueued a second while the worker drains them; 0: all enqueued first, drained flat out.")
    var rate: Int = 0

    @Option(help: "The database (default: a temporary SQLite file, removed afterwards).")
    var database: String?

    func run() async throws {
        for (name, value) in [
            ("subscribers", subscribers), ("jobs", jobs), ("concurrency", concurrency), ("runs", runs),
        ]
        where value < 1 {
            throw CommandFailure("--\(name) must be at least 1")
        }
        guard [1, 2].contains(nodes) else { throw CommandFailure("--nodes must be 1 or 2") }
        guard rate >= 0 else { throw CommandFailure("--rate must be 0 or more") }
        let (store, scratch) = try await BenchDatabase.open(database, named: "events")
        defer { scratch.remove() }
        let workerStore =
            nodes == 2 ? try await DatabaseOptions.parse(["--database", scratch.path]).open(mustExist: true) : nil
        let benchmark = EventsBenchmark(
            store: store, workerStore: workerStore,
            options: BenchmarkOptions(jobs: jobs, concurrency: concurrency, runs: runs), subscribers: subscribers,
            rate: rate > 0 ? rate : nil)
        for line in try await failing({ try await benchmark.run() }) { print(line) }
    }
}

/// `conveyor bench webhooks`: webhook deliveries' sustained rate, and fairness beside a slow endpoint.
struct WebhooksBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Measure webhook deliveries to a receiver on loopback: the sustained rate, and fairness.",
        discussion: """
            In this process, as one serve delivers them: --customers customers (wc0, wc1, …) with \
            --endpoints endpoints each, every one wanting job.enqueued. Enqueues --jobs jobs at once \
            and times their deliveries, --runs times; then makes the first customer's endpoints \
            answer after --slow-seconds while --rate jobs a second arrive for --seconds, and reports \
            the other customers' deliveries' times (event → received). See BENCHMARKS.md.
            """)

    @Option(help: "Customers.")
    var customers: Int = 10

    @Option(help: "Endpoints per customer.")
    var endpoints: Int = 10

    @Option(help: "Jobs per run (each a delivery to each of its customer's endpoints).")
    var jobs: Int = 2000

    @Option(help: "Runs of the sustained rate; the median is reported.")
    var runs: Int = 3

    @Option(help: "How long the slow customer's endpoints take to answer.")
    var slowSeconds: Double = 10

    @Option(help: "Jobs a second during the fairness run.")
    var rate: Int = 50

    @Option(help: "How long the fairness run enqueues.")
    var seconds: Double = 15

    @Option(help: "Deliveries the process runs at once (WEBHOOK_CONCURRENCY).")
    var concurrency: Int = 64

    @Option(help: "The database (default: a temporary SQLite file, removed afterwards).")
    var database: String?

    func run() async throws {
        for (name, value) in [("customers", customers), ("endpoints", endpoints), ("jobs", jobs), ("runs", runs)]
        where value < 1 {
            throw CommandFailure("--\(name) must be at least 1")
        }
        let (store, scratch) = try await BenchDatabase.open(database, named: "webhooks")
        defer { scratch.remove() }
        let benchmark = WebhooksBenchmark(
            store: store, customers: customers, endpointsPerCustomer: endpoints, jobs: jobs, runs: runs,
            slowDelay: .milliseconds(Int64(slowSeconds * 1000)), rate: rate,
            duration: .milliseconds(Int64(seconds * 1000)), concurrency: concurrency)
        for line in try await failing({ try await benchmark.run() }) { print(line) }
    }
}

/// `conveyor bench schedules`: the scheduler's lateness and database time at sizes of schedules.
struct SchedulesBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "Measure the scheduler: schedules firing every minute, each tick's job's lateness and the cost.",
        discussion: """
            In this process, as one serve's scheduler runs: for each of --sizes, that many schedules \
            (over --customers customers) firing every minute, for --minutes ticks; reports each tick's \
            job's time from its tick to its enqueue (p50, p99, max), the scheduler's database time per \
            minute and per job, and an idle pass's time. See BENCHMARKS.md.
            """)

    @Option(help: "Numbers of schedules, comma-separated; each is measured in turn.")
    var sizes: String = "1000,10000"

    @Option(help: "Customers the schedules are spread over.")
    var customers: Int = 100

    @Option(help: "Ticks (minutes) measured per size.")
    var minutes: Int = 2

    @Option(help: "The database (default: a temporary SQLite file, removed afterwards).")
    var database: String?

    func run() async throws {
        let sizes = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 1 }), customers >= 1, minutes >= 1 else {
            throw CommandFailure("--sizes, --customers and --minutes must be positive")
        }
        let (store, scratch) = try await BenchDatabase.open(database, named: "schedules")
        defer { scratch.remove() }
        let benchmark = SchedulesBenchmark(store: store, sizes: sizes, customers: customers, minutes: minutes)
        for line in try await failing({ try await benchmark.run() }) { print(line) }
    }
}

/// `conveyor bench cancel`: how soon a cancel stops the attempt, per kind of worker.
struct CancelBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Measure cancel → attempt stopped for a Swift handler, a program and an HTTP worker.",
        discussion: """
            Workers run in this process; each job is cancelled through a second store on the same \
            database (as another process or node cancels) at a random moment of its renewal \
            interval. Reports p50 and p99 per kind of worker. See BENCHMARKS.md.
            """)

    @Option(help: "Jobs cancelled per kind of worker.")
    var jobs: Int = 40

    @Option(help: "The in-process workers' lease, in seconds (renewed every third of it).")
    var lease: Double = 3

    @Option(help: "The HTTP worker's heartbeat interval, in seconds.")
    var heartbeat: Double = 1

    @Option(help: "Kinds of worker, comma-separated: swift, program, http.")
    var kinds: String = CancelBenchmark.Kind.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "The database (default: a temporary SQLite file, removed afterwards).")
    var database: String?

    func run() async throws {
        guard jobs >= 1 else { throw CommandFailure("--jobs must be at least 1") }
        guard lease >= 1, heartbeat > 0 else {
            throw CommandFailure("--lease must be at least 1 and --heartbeat above 0")
        }
        let chosen = try kinds.split(separator: ",").map { name in
            guard let kind = CancelBenchmark.Kind(rawValue: String(name)) else {
                throw CommandFailure("--kinds: \(name) is not one of swift, program, http")
            }
            return kind
        }
        let (store, scratch) = try await BenchDatabase.open(database, named: "cancel")
        defer { scratch.remove() }
        // The canceller: another store on the same database, as another process has.
        let location = try DatabaseOptions.parse(["--database", scratch.path])
        let canceller = try await location.open(mustExist: true)
        let benchmark = CancelBenchmark(
            store: store, canceller: canceller, jobs: jobs, lease: .seconds(lease), heartbeat: .seconds(heartbeat))
        for line in try await failing({ try await benchmark.run(chosen) }) { print(line) }
    }
}

/// `conveyor bench floors`: the floors of `bench http` served on their own, for a load generator
/// in another process (`wrk`) to compare with a real `conveyor serve` on the same database.
struct FloorsBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floors",
        abstract: "Serve bench http's floors (GET /constant, POST /bare/{customer}) for wrk, until stopped.",
        discussion: """
            The bare route returns a constant; the bare insert decodes an enqueue body and inserts \
            the job with one statement through the store's driver, with no authentication or \
            limits. Stops on SIGINT or SIGTERM. See BENCHMARKS.md.
            """)

    @Option(help: "The port to listen on, on 127.0.0.1.")
    var port: Int = 8090

    @Option(help: "The database the bare insert writes to.")
    var database: String

    func run() async throws {
        let location = try DatabaseOptions.parse(["--database", database])
        let store = try await location.open(mustExist: false)
        let insert = try bareInsert(into: store)
        var logger = Logger(label: "conveyor.bench.floors")
        logger.logLevel = .warning
        let application = Application(
            router: FloorRoutes.router(insert: insert),
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { print("floors on http://127.0.0.1:\($0.localAddress?.port ?? port)") },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [application], gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [],
                logger: logger))
        try await group.run()
    }
}

/// The bare insert of `store`'s engine: one job's row, one statement through its driver.
func bareInsert(into store: any JobStore) throws -> @Sendable (Job) async throws -> Void {
    switch store {
    case let store as PostgresJobStore: { try await store.bareInsert($0) }
    case let store as SQLiteJobStore: { try await store.bareInsert($0) }
    default: throw CommandFailure("this store has no bare insert")
    }
}

/// BenchDatabase opens the database a bench subcommand runs on: the one given, or a fresh SQLite
/// file in a temporary folder, removed afterwards. It says which, and how many cores there are.
enum BenchDatabase {
    /// The folder to remove afterwards, if one was made.
    struct Scratch {
        let directory: URL?
        /// The database: as given, or the temporary file.
        var path = ""
        func remove() { if let directory { try? FileManager.default.removeItem(at: directory) } }
    }

    static func open(_ database: String?, named name: String) async throws -> (any JobStore, Scratch) {
        var scratch = Scratch(directory: nil)
        let path: String
        if let database {
            path = database
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "conveyor-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            scratch = Scratch(directory: directory)
            path = directory.appendingPathComponent("\(name).sqlite").path
        }
        scratch.path = path
        let location = try DatabaseOptions.parse(["--database", path])
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("conveyor bench \(name) on \(try location.location()) — \(cores) cores")
        return (try await location.open(mustExist: false), scratch)
    }
}
