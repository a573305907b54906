public import ConveyorCore
import Foundation
import Subprocess
import SystemPackage

/// CommandJobHandler runs one program per job — the handler behind `conveyor work -- COMMAND`.
///
/// The contract with the program:
/// - standard input: the job's payload JSON, exactly as enqueued;
/// - environment: `CONVEYOR_JOB_ID`, `CONVEYOR_JOB_TYPE`, `CONVEYOR_CUSTOMER`, `CONVEYOR_QUEUE`,
///   `CONVEYOR_ATTEMPT`, `CONVEYOR_MAX_ATTEMPTS`, `CONVEYOR_PROGRESS_FILE` (and `CONVEYOR_SCHEDULE`,
///   `CONVEYOR_SCHEDULED_FOR` for a schedule's job), on top of the worker's own less `withheld`
///   (Conveyor's secrets: the program runs what customers send, and the database URL alone would
///   bypass every tenant rule);
/// - progress: each line the program appends to the file `CONVEYOR_PROGRESS_FILE` names is a
///   report, one JSON value (at most 4 KiB; a line that is not is ignored, with a warning in the
///   worker's log); the latest line is the job's progress, read while the program runs and once
///   more when it exits;
/// - exit 0 completes the job; exit `nonRetryableExitCode` (65, EX_DATAERR) fails it for good;
///   any other exit or a signal fails it, retried with backoff, with the last lines of its
///   standard error as the error;
/// - standard output goes to the worker's standard output — or, with `result: .standardOutput`,
///   is the job's result: one JSON value, kept byte for byte (output that is not one JSON value,
///   or is over the result limit, fails the attempt with a sentence saying so).
///
/// The program runs in a session of its own. When the attempt must stop (timeout, shutdown past
/// its deadline, lost lease) its whole process group gets SIGTERM, then SIGKILL after `killAfter`.
public struct CommandJobHandler: Sendable {
    /// The exit status that fails a job as non-retryable.
    public static let nonRetryableExitCode: Int32 = 65
    /// How much of the end of standard error becomes the attempt's error.
    static let errorTailBytes = 2048

    public let command: String
    public let arguments: [String]
    /// How long the program has between SIGTERM and SIGKILL (default 10 s).
    public let killAfter: Duration
    /// The worker's environment variables the program does not get (default: every setting
    /// marked secret, `Settings.secrets`).
    public let withheld: Set<String>
    /// Where the job's result comes from.
    public let result: ResultSource
    /// The largest result, in bytes (`JobLimits.resultBytes`).
    public let resultLimitBytes: Int

    /// ResultSource says what of the program's makes the job's result.
    public enum ResultSource: String, Sendable, CaseIterable {
        /// No result: standard output goes to the worker's.
        case none
        /// Standard output, one JSON value.
        case standardOutput = "stdout"
    }

    /// Creates the handler; `command` is a path, or a name looked up in `PATH`.
    public init(
        command: String, arguments: [String], killAfter: Duration = .seconds(10),
        withheld: Set<String> = Set(Settings.secrets), result: ResultSource = .none,
        resultLimitBytes: Int = JobLimits.default.resultBytes
    ) {
        self.command = command
        self.arguments = arguments
        self.killAfter = killAfter
        self.withheld = withheld
        self.result = result
        self.resultLimitBytes = resultLimitBytes
    }

    /// Runs the program for one job; returns its result, if it makes one.
    public func run(_ context: JobContext) async throws -> JobPayload? {
        let job = context.job
        // The payload is a customer's data: a directory only this user can enter, under a name
        // nobody can guess and take first (creating it fails if it exists).
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "conveyor-job-\(job.id)-\(job.attempt)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Files rather than pipes: a program that never reads its input, or writes a lot of
        // errors, can then never block on a full pipe.
        let inputPath = scratch.appendingPathComponent("payload.json")
        let errorPath = scratch.appendingPathComponent("stderr")
        try Data(job.payload.text.utf8).write(to: inputPath)
        let input = try FileDescriptor.open(FilePath(inputPath.path), .readOnly)
        let errors = try FileDescriptor.open(
            FilePath(errorPath.path), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
        let progressPath = scratch.appendingPathComponent("progress")
        guard
            FileManager.default.createFile(
                atPath: progressPath.path, contents: nil, attributes: [.posixPermissions: 0o600])
        else { throw CommandFailure(message: "the progress file could not be made in \(scratch.path)") }
        let outputPath = scratch.appendingPathComponent("stdout")
        let output: FileDescriptorOutput
        switch result {
        case .none:
            output = .currentStandardOutput
        case .standardOutput:
            output = .fileDescriptor(
                try FileDescriptor.open(
                    FilePath(outputPath.path), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite]
                ),
                closeAfterSpawningProcess: true)
        }

        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: killAfter)]
        var environment: [Environment.Key: String?] = [
            "CONVEYOR_JOB_ID": job.id.description,
            "CONVEYOR_JOB_TYPE": job.type,
            "CONVEYOR_CUSTOMER": job.customer,
            "CONVEYOR_QUEUE": job.queue,
            "CONVEYOR_ATTEMPT": String(job.attempt),
            "CONVEYOR_MAX_ATTEMPTS": String(job.maxAttempts),
            "CONVEYOR_PROGRESS_FILE": progressPath.path,
        ]
        // A schedule's job says which schedule and tick made it.
        if let schedule = job.schedule, let tick = job.scheduledFor {
            environment["CONVEYOR_SCHEDULE"] = schedule
            environment["CONVEYOR_SCHEDULED_FOR"] = tick.formatted(.iso8601)
        }
        for name in withheld { environment[Environment.Key(stringLiteral: name)] = .some(nil) }
        var progress = ProgressFile(path: progressPath)
        let status = try await withThrowingTaskGroup(of: TerminationStatus?.self) { group in
            group.addTask {
                // Read while the program runs: the worker's ProgressWriter coalesces the writes.
                var watched = ProgressFile(path: progressPath)
                while !Task.isCancelled {
                    try? await Task.sleep(for: ProgressFile.readInterval)
                    watched.report(to: context)
                }
                return nil
            }
            let run = try await Subprocess.run(
                command.contains("/") ? .path(FilePath(command)) : .name(command),
                arguments: Arguments(arguments),
                environment: .inherit.updating(environment),
                platformOptions: options,
                input: .fileDescriptor(input, closeAfterSpawningProcess: true),
                output: output,
                error: .fileDescriptor(errors, closeAfterSpawningProcess: true))
            group.cancelAll()
            return run.terminationStatus
        }
        progress.report(to: context)
        try Task.checkCancellation()

        switch status {
        case .exited(0):
            return result == .standardOutput ? try Self.result(at: outputPath, limitBytes: resultLimitBytes) : nil
        case .exited(Self.nonRetryableExitCode):
            throw NonRetryableError(Self.describe("exited with status \(Self.nonRetryableExitCode)", errorPath))
        case .exited(let status):
            throw CommandFailure(message: Self.describe("exited with status \(status)", errorPath))
        case .signaled(let signal):
            throw CommandFailure(message: Self.describe("was killed by signal \(signal)", errorPath))
        }
    }

    /// The program's standard output as the job's result.
    static func result(at path: URL, limitBytes: Int) throws -> JobPayload {
        let size = (try? FileManager.default.attributesOfItem(atPath: path.path)[.size] as? Int) ?? 0
        guard size <= limitBytes else {
            throw NonRetryableError(
                "the program's standard output (the result) is \(size) bytes; the limit is \(limitBytes) bytes")
        }
        let bytes = Array(try Data(contentsOf: path))
        do {
            return try JobPayload(json: bytes, limitBytes: limitBytes, field: "result")
        } catch {
            throw CommandFailure(
                message: bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) })
                    ? "the program exited with status 0 but wrote nothing on its standard output, which must be the result: one JSON value"
                    : "the program's standard output must be the result, one JSON value, but it \(error.reason)")
        }
    }

    /// "exited with status 1: <last lines of standard error>".
    static func describe(_ what: String, _ errorPath: URL) -> String {
        guard let data = try? Data(contentsOf: errorPath), !data.isEmpty else { return "the program \(what)" }
        let tail = String(decoding: data.suffix(errorTailBytes), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return "the program \(what): \(tail)"
    }
}

/// CommandFailure is a program's failed run; its message is what the job's error history shows.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// ProgressFile reads the reports a program appends to its progress file: the latest complete
/// line since the last read, as one JSON value.
struct ProgressFile {
    /// How often a running program's file is read (the writes are coalesced to one a second).
    static let readInterval = Duration.milliseconds(250)

    let path: URL
    /// Where the next read starts: just after the last complete line read.
    private var offset: UInt64 = 0

    init(path: URL) {
        self.path = path
    }

    /// Reports the latest new line, if any, to the job's context.
    mutating func report(to context: JobContext) {
        guard let line = latestLine() else { return }
        do {
            try context.progress(try JobPayload(json: line, limitBytes: .max, field: "progress"))
        } catch {
            context.logger.warning(
                "a progress line is ignored: it must be one JSON value of at most \(context.progressLimitBytes) bytes",
                metadata: ["error": "\(error)"])
        }
    }

    /// The last complete, non-blank line written since the previous call.
    mutating func latestLine() -> [UInt8]? {
        guard let handle = try? FileHandle(forReadingFrom: path) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else {
            return nil
        }
        let bytes = Array(data)
        guard let end = bytes.lastIndex(of: 0x0A) else { return nil }
        offset += UInt64(end + 1)
        let lines = bytes[..<end].split(separator: 0x0A).filter { line in
            line.contains { ![0x20, 0x09, 0x0D].contains($0) }
        }
        return lines.last.map(Array.init)
    }
}
