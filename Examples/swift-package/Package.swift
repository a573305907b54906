// swift-tools-version:6.2
import PackageDescription

// A program outside Conveyor's own targets that depends on Conveyor by path, as a Swift user's
// would by URL: `scripts/test` builds it and runs the README's worker example with it.
let package = Package(
    name: "EmailWorker",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Conveyor", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "EmailWorker",
            dependencies: [
                .product(name: "ConveyorCore", package: "Conveyor"),
                .product(name: "ConveyorSQLite", package: "Conveyor"),
                .product(name: "ConveyorWorker", package: "Conveyor"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
