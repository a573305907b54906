import ConveyorCore
public import ConveyorPostgres
public import Foundation
import Subprocess
import SystemPackage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// ThrowawayPostgres is a PostgreSQL cluster of a test's own, in a temporary directory on a free
/// loopback port, for tests that stop the database under a running server and start it again —
/// which they must not do to the cluster every other test shares. The binaries are those
/// `scripts/with-postgres` found (CONVEYOR_TEST_POSTGRES_BIN); as root, the cluster runs as the
/// `postgres` user, because PostgreSQL refuses root.
public final class ThrowawayPostgres: Sendable {
    public static var binaries: String? { ProcessInfo.processInfo.environment["CONVEYOR_TEST_POSTGRES_BIN"] }

    public let directory: URL
    public let port: Int
    let bin: String

    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }
    private var data: String { directory.appendingPathComponent("data").path }

    private init(directory: URL, port: Int, bin: String) {
        self.directory = directory
        self.port = port
        self.bin = bin
    }

    public static func start() async throws -> ThrowawayPostgres {
        let bin = try #require(binaries, "needs scripts/with-postgres (CONVEYOR_TEST_POSTGRES_BIN)")
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent(
            "conveyor-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            try FileManager.default.setAttributes([.ownerAccountName: "postgres"], ofItemAtPath: directory.path)
        }
        let cluster = ThrowawayPostgres(directory: directory, port: try freeLoopbackPort(), bin: bin)
        try await cluster.run("initdb", ["-D", cluster.data, "-A", "trust", "-U", "postgres", "--no-sync"])
        try await cluster.startServer()
        return cluster
    }

    /// Opens a store on this cluster with `options` — a short connect timeout, as the outage
    /// tests want it for the outage — trying again while the server does not answer in time,
    /// until `patience` has passed: on two cores loaded with the whole suite a first open has
    /// missed 2 s, which says nothing about the store.
    public func openStore(
        options: PostgresJobStore.Options, patience: Duration = .seconds(30)
    ) async throws -> PostgresJobStore {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try await PostgresJobStore.open(url: url, options: options)
            } catch JobStoreError.unavailable where ContinuousClock.now < deadline {
                continue
            }
        }
    }

    /// Starts the server (again), waiting until it accepts connections.
    public func startServer() async throws {
        try await run(
            "pg_ctl",
            [
                "-D", data, "-l", directory.appendingPathComponent("server.log").path, "-w", "-o",
                "-c listen_addresses=127.0.0.1 -c port=\(port) -c unix_socket_directories=\(directory.path) -c fsync=off",
                "start",
            ])
    }

    /// Stops the server, cutting its connections, and waits until it is gone.
    public func stopServer() async throws {
        try await run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"])
    }

    /// Stops the server if it runs and deletes the cluster.
    public func remove() async {
        // It may be stopped already (a test that stopped it for good): then pg_ctl says so and fails.
        try? await run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"], mustSucceed: false)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a PostgreSQL tool and waits for it. Through Subprocess, which waits for the tool's own
    /// exit: Foundation's Process never reported `pg_ctl start` done here, as the server it leaves
    /// running holds on to what Process watches.
    private func run(_ tool: String, _ arguments: [String], mustSucceed: Bool = true) async throws {
        let path = "\(bin)/\(tool)"
        let (executable, all) =
            getuid() == 0 ? ("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments) : (path, arguments)
        let result = try await Subprocess.run(
            .path(FilePath(executable)), arguments: Arguments(all), input: .none, output: .discarded, error: .discarded)
        if mustSucceed { #expect(result.terminationStatus == .exited(0), "\(tool) \(arguments.last ?? "") failed") }
    }
}
