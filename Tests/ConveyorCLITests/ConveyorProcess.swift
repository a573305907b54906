import ConveyorTestSupport
import Foundation
import Subprocess
import SystemPackage
import Testing

/// ConveyorProcess runs the real `conveyor` binary that `swift build` put next to the test bundle,
/// in a temporary working directory of its own, and captures what it prints.
struct ConveyorProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String

        /// Standard output parsed as one JSON object.
        func json() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        }
    }

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("conveyor-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// The default database of a command run here.
    var defaultDatabase: String { directory.appendingPathComponent("conveyor.sqlite").path }

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["CONVEYOR_BINARY"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "conveyor")
    }

    /// Runs `conveyor ARGUMENTS` and waits for it to exit. Through swift-subprocess, not
    /// Foundation's `Process`, whose `run()` on this toolchain now and then reads past its buffer
    /// listing /proc/self/fd and crashes the test process (swift-corelibs-foundation #5472): the
    /// suite runs this hundreds of times.
    func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil, input: Data? = nil
    ) async throws -> Result {
        let bytes = input ?? stdin.map { Data($0.utf8) } ?? Data()
        let result = try await Subprocess.run(
            .path(FilePath(Self.binary.path)), arguments: Arguments(arguments),
            environment: .custom(
                Dictionary(
                    uniqueKeysWithValues: Self.environment(environment).map {
                        (Environment.Key(stringLiteral: $0.key), $0.value)
                    })),
            workingDirectory: FilePath(directory.path), input: .data(bytes),
            output: .string(limit: 64 << 20), error: .string(limit: 64 << 20))
        let status: Int32 =
            switch result.terminationStatus {
            case .exited(let code): code
            case .signaled(let signal): signal
            }
        return Result(status: status, stdout: result.standardOutput, stderr: result.standardError)
    }

    /// Starts `conveyor ARGUMENTS` in the background.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningConveyor {
        let process = makeProcess(arguments, environment)
        let log = directory.appendingPathComponent("background-\(UUID().uuidString).log")
        try Data().write(to: log)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return RunningConveyor(process: process, log: log)
    }

    /// `conveyor ARGUMENTS` in this directory, with the test's environment less DATABASE_URL, plus `environment`.
    /// `serve` stops without a drain period unless a test asks for one (SHUTDOWN_DRAIN_SECONDS).
    private func makeProcess(_ arguments: [String], _ environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = Self.environment(environment)
        return process
    }

    /// The test's environment less DATABASE_URL, `serve` without a drain period, plus `extra`.
    static func environment(_ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = nil
        env["SHUTDOWN_DRAIN_SECONDS"] = "0"
        env.merge(extra) { $1 }
        return env
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// RunningConveyor is a `conveyor` process started in the background.
struct RunningConveyor {
    let process: Process
    /// Its standard output and error, interleaved.
    let log: URL

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Sends a signal (SIGTERM by default).
    func signal(_ signal: Int32 = SIGTERM) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit and returns its status; kills it and fails the test if it is
    /// still running after `timeout`.
    func waitForExit(
        timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws
        -> Int32
    {
        try await poll("the worker process to exit", timeout: timeout, sourceLocation: sourceLocation) {
            !process.isRunning
        }
        return process.terminationStatus
    }

    /// Makes sure the process is gone, whatever the test did.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
