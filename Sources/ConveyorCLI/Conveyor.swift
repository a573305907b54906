import ArgumentParser
import CMallocTuning
import ConveyorCore
import Foundation
import Logging
import NIOCore
import NIOPosix

/// The `conveyor` command: one executable for every Conveyor process.
@main
struct Conveyor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conveyor",
        abstract: "A multi-tenant job queue.",
        discussion: """
            Jobs are kept in ./conveyor.sqlite unless --database or DATABASE_URL names another file.
            """,
        version: ConveyorVersion.current,
        subcommands: [
            MigrateCommand.self, EnqueueCommand.self, JobsCommand.self, DeadLetterCommand.self, WorkCommand.self,
            WorkersCommand.self, MonitorCommand.self, BenchCommand.self, ServeCommand.self, CustomersCommand.self,
            KeysCommand.self, PauseCommand.self, ResumeCommand.self, CapCommand.self, WebhooksCommand.self,
            SchedulesCommand.self,
        ]
    )

    /// Runs the chosen command. A refusal Conveyor itself explains (bad input, unknown job, a
    /// database that cannot be opened) prints one sentence to standard error and exits 1; parsing
    /// errors and help go through ArgumentParser as usual.
    static func main() async {
        // glibc returns freed heap to the kernel as soon as 128 KiB sit free, and a worker
        // allocates and frees in bursts (claims, batches of completions): each burst then cost an
        // madvise and fresh page faults, up to a third of drain throughput in `conveyor bench`.
        // Keeping up to 64 MiB of freed heap is a small, bounded price for a long-running process.
        conveyor_keep_freed_heap(64 << 20)
        // Swift concurrency runs on NIO's event loops (one per core) instead of its own thread
        // pool: a PostgreSQL reply then resumes the waiting task on the thread that read it, with
        // no hop between pools. That hop cost a worker more system time than its jobs (sys 0.8 s
        // vs 0.3 s per 20,000 no-op jobs in `conveyor bench`). Nothing in Conveyor blocks a
        // thread: SQLite work runs on GRDB's own queues, subprocesses on swift-subprocess's.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        // LOG_LEVEL is read here, once, for every logger of the process.
        let level: Logger.Level
        switch Settings().text("LOG_LEVEL")?.lowercased() {
        case nil: level = .info
        case let text?:
            guard let known = Logger.Level(rawValue: text) else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                FileHandle.standardError.write(
                    Data("error: LOG_LEVEL must be one of \(levels) (got \(text.debugDescription))\n".utf8))
                Foundation.exit(1)
            }
            level = known
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                var command = command
                try command.run()
            }
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("error: \(failure.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}
