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
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // The pure core: job model, lifecycle, backoff, validation, the store protocol. No I/O.
        .target(
            name: "ConveyorCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The embedded engine: SQLite through GRDB, with numbered .sql migrations as resources.
        .target(
            name: "ConveyorSQLite",
            dependencies: ["ConveyorCore", .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.copy("Migrations")],
            swiftSettings: strict
        ),
        // The store conformance suite and the test clock, shared by every engine's tests.
        .target(
            name: "ConveyorTestSupport",
            dependencies: ["ConveyorCore"],
            swiftSettings: strict
        ),
        // The `conveyor` command.
        .executableTarget(
            name: "ConveyorCLI",
            dependencies: [
                "ConveyorCore", "ConveyorSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
            name: "ConveyorCLITests",
            dependencies: ["ConveyorCLI", "ConveyorCore", "ConveyorSQLite", "ConveyorTestSupport"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
