import ConveyorTestSupport
import Foundation
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

    /// Runs `conveyor ARGUMENTS` and waits for it to exit.
    func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil, input: Data? = nil
    ) async throws -> Result {
        let process = makeProcess(arguments, environment)
        // Files, not pipes: a pipe the test reads only after exit could fill up and block the child.
        let out = directory.appendingPathComponent("stdout-\(UUID().uuidString)")
        let err = directory.appendingPathComponent("stderr-\(UUID().uuidString)")
        try Data().write(to: out)
        try Data().write(to: err)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        if let bytes = input ?? stdin.map({ Data($0.utf8) }) {
            let input = directory.appendingPathComponent("stdin-\(UUID().uuidString)")
            try bytes.write(to: input)
            process.standardInput = try FileHandle(forReadingFrom: input)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        // Waited for without blocking a thread: the test runs on Swift's small cooperative pool,
        // and a blocked pool can starve (or deadlock) the other tests running alongside.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        return Result(
            status: process.terminationStatus,
            stdout: try String(contentsOf: out, encoding: .utf8),
            stderr: try String(contentsOf: err, encoding: .utf8))
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
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = nil
        env["SHUTDOWN_DRAIN_SECONDS"] = "0"
        env.merge(environment) { $1 }
        process.environment = env
        return process
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
