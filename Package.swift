// swift-tools-version:6.2
import PackageDescription

// Swift 6 language mode (strict concurrency) everywhere, and no warning ever lands in our own targets.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "Conveyor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "conveyor", targets: ["ConveyorCLI"]),
        .library(name: "ConveyorCore", targets: ["ConveyorCore"]),
        .library(name: "ConveyorSQLite", targets: ["ConveyorSQLite"]),
        .library(name: "ConveyorPostgres", targets: ["ConveyorPostgres"]),
        .library(name: "ConveyorWorker", targets: ["ConveyorWorker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // No traits: environment variables and in-memory values are all Conveyor reads.
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: []),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The pure core: job model, lifecycle, backoff, validation, the store protocol. No I/O.
        .target(
            name: "ConveyorCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strict
        ),
        // The embedded engine: SQLite through GRDB, with numbered .sql migrations as resources.
        .target(
            name: "ConveyorSQLite",
            dependencies: [
                "ConveyorCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            resources: [.copy("Migrations")],
            swiftSettings: strict
        ),
        // The engine for many processes on many hosts: PostgreSQL through PostgresNIO.
        .target(
            name: "ConveyorPostgres",
            dependencies: [
                "ConveyorCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Migrations")],
            swiftSettings: strict
        ),
        // The worker runtime: handlers, leases kept alive, outcomes, graceful shutdown, programs per job.
        .target(
            name: "ConveyorWorker",
            dependencies: [
                "ConveyorCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        // Cluster-wide maintenance on the elected leader: the stale-job rescuer.
        .target(
            name: "ConveyorMaintenance",
            dependencies: [
                "ConveyorCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Webhooks: the dispatcher (events to delivery jobs), the delivery handler, and the
        // process's one outbound HTTP client (AsyncHTTPClient) with the address rules.
        .target(
            name: "ConveyorWebhooks",
            dependencies: [
                "ConveyorCore", "ConveyorWorker",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // `conveyor bench`: throughput and latency measurements on any store.
        .target(
            name: "ConveyorBench",
            dependencies: [
                "ConveyorCore", "ConveyorWorker", "ConveyorServer", "ConveyorWebhooks", "ConveyorMaintenance",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The store conformance suite and the test clock, shared by every engine's tests.
        .target(
            name: "ConveyorTestSupport",
            dependencies: [
                "ConveyorCore", "ConveyorSQLite", "ConveyorPostgres", .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        // glibc heap tuning for the long-running `conveyor` processes (see Conveyor.main).
        .target(name: "CMallocTuning"),
        // Keeps a program `conveyor work` runs from reading the worker's environment through /proc.
        .target(name: "CInspectionGuard"),
        // The `conveyor` command.
        .executableTarget(
            name: "ConveyorCLI",
            dependencies: [
                "ConveyorCore", "ConveyorSQLite", "ConveyorPostgres", "ConveyorWorker", "ConveyorMaintenance",
                "ConveyorBench", "ConveyorServer", "ConveyorWebhooks",
                "CMallocTuning", "CInspectionGuard",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        // The HTTP API (`conveyor serve`): routes, API-key authentication, problem+json errors.
        .target(
            name: "ConveyorServer",
            dependencies: [
                "ConveyorCore", "ConveyorWebhooks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The dashboard's templates and its one stylesheet and script, served as they are.
            resources: [.copy("OpenAPI/openapi.json"), .copy("Dashboard/Templates"), .copy("Dashboard/Assets")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConveyorServerTests",
            dependencies: [
                "ConveyorServer", "ConveyorCore", "ConveyorSQLite", "ConveyorPostgres", "ConveyorTestSupport",
                "ConveyorWorker", "ConveyorWebhooks", "ConveyorMaintenance",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConveyorMaintenanceTests",
            dependencies: [
                "ConveyorMaintenance", "ConveyorCore", "ConveyorSQLite", "ConveyorPostgres", "ConveyorTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConveyorCoreTests",
            dependencies: ["ConveyorCore", "ConveyorTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConveyorSQLiteTests",
            dependencies: ["ConveyorCore", "ConveyorSQLite", "ConveyorTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConveyorPostgresTests",
            dependencies: [
                "ConveyorCore", "ConveyorPostgres", "ConveyorTestSupport", "ConveyorWorker",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConveyorWorkerTests",
            dependencies: [
                "ConveyorCore", "ConveyorSQLite", "ConveyorWorker", "ConveyorTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConveyorCLITests",
            dependencies: [
                "ConveyorCLI", "ConveyorCore", "ConveyorSQLite", "ConveyorPostgres", "ConveyorTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
