import ConveyorCore
import ConveyorSQLite
import ConveyorTestSupport
import Foundation
import GRDB
import Testing

/// `conveyor work -- COMMAND` as operators run it: a real worker process, real scripts, real signals.
@Suite("conveyor work")
struct WorkCommandTests {
    /// Writes an executable shell script into the test's directory.
    func script(_ cli: ConveyorProcess, _ name: String, _ body: String) throws -> String {
        let url = cli.directory.appendingPathComponent(name)
        try ("#!/bin/sh\n" + body).write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    func enqueue(
        _ store: SQLiteJobStore, _ payload: String = #"{"to":"ada@example.com"}"#, maxAttempts: Int = 5
    )
        async throws -> Job
    {
        try await store.enqueue(
            NewJob(customer: "acme", queue: "mail", type: "email.send", payloadJSON: payload, maxAttempts: maxAttempts)
        ).job
    }

    func state(_ store: SQLiteJobStore, _ job: Job) async throws -> Job {
        try #require(try await store.job(id: job.id))
    }

    func isAlive(pidFile: URL) throws -> Bool {
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            return false
        }
        return kill(pid, 0) == 0
    }

    @Test("a program that exits 0 completes its job; it gets the payload on stdin and the job in its environment")
    func success() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let jobs = [try await enqueue(store, #"{"n": 1}"#), try await enqueue(store, #"{"n": 2}"#)]
        let program = try script(
            cli, "ok.sh",
            """
            cat > "$(dirname "$0")/$CONVEYOR_JOB_ID.payload"
            env | grep '^CONVEYOR_' | grep -v '^CONVEYOR_TEST_' | sort > "$(dirname "$0")/$CONVEYOR_JOB_ID.env"
            """)
        let worker = try cli.start(["work", "--queue", "mail", "--concurrency", "2", "--", program])
        defer { worker.stop() }
        try await poll("both jobs to complete") {
            try await store.counts(customer: nil).first?.counts[.completed] == 2
        }
        for job in jobs {
            let payload = try String(
                contentsOf: cli.directory.appendingPathComponent("\(job.id).payload"), encoding: .utf8)
            #expect(payload == job.payload.text)
            let env = try String(contentsOf: cli.directory.appendingPathComponent("\(job.id).env"), encoding: .utf8)
            // The progress file is the job's own, in a directory made for the attempt.
            let lines = env.split(separator: "\n").map { line in
                line.hasPrefix("CONVEYOR_PROGRESS_FILE=/") && line.hasSuffix("/progress")
                    ? "CONVEYOR_PROGRESS_FILE=…/progress" : String(line)
            }
            #expect(
                lines == [
                    "CONVEYOR_ATTEMPT=1", "CONVEYOR_CUSTOMER=acme", "CONVEYOR_JOB_ID=\(job.id)",
                    "CONVEYOR_JOB_TYPE=email.send", "CONVEYOR_MAX_ATTEMPTS=5", "CONVEYOR_PROGRESS_FILE=…/progress",
                    "CONVEYOR_QUEUE=mail",
                ])
        }
        let workers = try await store.workers()
        #expect(workers.count == 1 && workers.first?.queues == ["mail"] && workers.first?.concurrency == 2)
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0, "\(worker.output)")
        #expect(try await store.workers().isEmpty, "a worker that stops cleanly leaves the registry")
    }

    @Test("a program gets the worker's environment without Conveyor's secrets, but for those passed with --pass-env")
    func secretsWithheld() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let job = try await enqueue(store)
        let program = try script(
            cli, "env.sh",
            """
            env | sort > "$(dirname "$0")/$CONVEYOR_JOB_ID.env"
            # The payload's file and the directory it is in: readable by this user alone.
            stat -c '%a' "$(dirname "$(readlink /proc/self/fd/0)")" > "$(dirname "$0")/$CONVEYOR_JOB_ID.mode"
            """)
        let secrets = [
            "DATABASE_URL": "sqlite://\(cli.defaultDatabase)",
            "CONVEYOR_ADMIN_KEY": "cvk_adminsecretadminsecretadminsecre",
            "SLACK_WEBHOOK_URL": "http://127.0.0.1:9/hooks/secret-path",
        ]
        let worker = try cli.start(
            ["work", "--queue", "mail", "--pass-env", "SLACK_WEBHOOK_URL", "--", program],
            environment: secrets.merging(["PLAIN_SETTING": "kept"]) { $1 })
        defer { worker.stop() }
        try await poll("the job to complete") { try await state(store, job).state == .completed }
        let env = try String(contentsOf: cli.directory.appendingPathComponent("\(job.id).env"), encoding: .utf8)
        let names = Set(env.split(separator: "\n").compactMap { $0.split(separator: "=").first.map(String.init) })
        #expect(names.contains("PLAIN_SETTING") && names.contains("CONVEYOR_JOB_ID"))
        #expect(names.contains("SLACK_WEBHOOK_URL"), "passed on purpose")
        #expect(!names.contains("DATABASE_URL") && !names.contains("CONVEYOR_ADMIN_KEY"))
        #expect(!env.contains(secrets["CONVEYOR_ADMIN_KEY"]!) && !env.contains(cli.defaultDatabase))
        let mode = try String(contentsOf: cli.directory.appendingPathComponent("\(job.id).mode"), encoding: .utf8)
        #expect(mode.trimmingCharacters(in: .whitespacesAndNewlines) == "700")
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
        let refused = try await cli.run(["work", "--queue", "mail", "--pass-env", "HOME", "--print"])
        #expect(refused.status != 0 && refused.stderr.contains("--pass-env HOME"))
    }

    @Test("a non-zero exit fails the job with the end of stderr; exit 65 sends it to the dead-letter queue")
    func failures() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let retryable = try await enqueue(store, #"{"mode":"flaky"}"#)
        let poison = try await enqueue(store, #"{"mode":"poison"}"#)
        let program = try script(
            cli, "fail.sh",
            """
            case "$(cat)" in
              *flaky*) echo "connecting to smtp" >&2; echo "smtp refused: 421 try later" >&2; exit 3 ;;
              *) echo "mailbox does not exist" >&2; exit 65 ;;
            esac
            """)
        let worker = try cli.start(["work", "--queue", "mail", "--", program])
        defer { worker.stop() }
        try await poll("both attempts to be recorded") {
            let first = try await state(store, retryable).state
            let second = try await state(store, poison).state
            return first == .retryable && second == .dead
        }
        let failed = try await state(store, retryable)
        #expect(
            failed.errors.last?.message
                == "the program exited with status 3: connecting to smtp\nsmtp refused: 421 try later")
        let dead = try await state(store, poison)
        #expect(dead.deadReason == .nonRetryable)
        #expect(dead.errors.last?.message == "the program exited with status 65: mailbox does not exist")
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
    }

    @Test(
        "--result stdout makes the program's standard output the result, byte for byte; output that is not one JSON value fails the attempt"
    )
    func resultFromStandardOutput() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let good = try await enqueue(store, #"{"mode":"good"}"#)
        let bad = try await enqueue(store, #"{"mode":"bad"}"#)
        let empty = try await enqueue(store, #"{"mode":"empty"}"#)
        let program = try script(
            cli, "result.sh",
            """
            case "$(cat)" in
              *good*) printf '{"url": "/r/1", "total": 1.50}\n' ;;
              *bad*) echo "done: /r/2" ;;
              *) ;;
            esac
            """)
        let worker = try cli.start(["work", "--queue", "mail", "--result", "stdout", "--", program])
        defer { worker.stop() }
        try await poll("the three attempts to be recorded") {
            let states = [
                try await state(store, good).state, try await state(store, bad).state,
                try await state(store, empty).state,
            ]
            return states == [.completed, .retryable, .retryable]
        }
        #expect(try await state(store, good).result?.text == #"{"url": "/r/1", "total": 1.50}"#)
        let notJSON = try await state(store, bad)
        #expect(notJSON.result == nil)
        #expect(
            notJSON.errors.last?.message.hasPrefix(
                "the program's standard output must be the result, one JSON value, but it is not valid JSON") == true,
            "\(notJSON.errors)")
        #expect(
            try await state(store, empty).errors.last?.message
                == "the program exited with status 0 but wrote nothing on its standard output, which must be the result: one JSON value"
        )
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
    }

    @Test("a program reports progress by appending JSON lines to CONVEYOR_PROGRESS_FILE; the latest one is kept")
    func progressFile() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let job = try await enqueue(store)
        let program = try script(
            cli, "progress.sh",
            """
            echo '{"percent": 10}' >> "$CONVEYOR_PROGRESS_FILE"
            echo 'not json' >> "$CONVEYOR_PROGRESS_FILE"
            printf '{"percent": 100.0, "step": "sent"}\n' >> "$CONVEYOR_PROGRESS_FILE"
            """)
        let worker = try cli.start(["work", "--queue", "mail", "--", program])
        defer { worker.stop() }
        try await poll("the job to complete") { try await state(store, job).state == .completed }
        #expect(try await state(store, job).progress?.text == #"{"percent": 100.0, "step": "sent"}"#)
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
    }

    @Test("a program past --timeout is stopped, and the attempt fails as timed out")
    func timeout() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let job = try await enqueue(store)
        let pidFile = cli.directory.appendingPathComponent("slow.pid")
        let program = try script(cli, "slow.sh", "echo $$ > \"\(pidFile.path)\"\nexec sleep 30\n")
        let worker = try cli.start(["work", "--queue", "mail", "--timeout", "1", "--kill-after", "1", "--", program])
        defer { worker.stop() }
        try await poll("the attempt to time out") { try await state(store, job).state == .retryable }
        #expect(try await state(store, job).errors.last?.message == "timed out after 1 s")
        #expect(try !isAlive(pidFile: pidFile), "the timed-out program was stopped")
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
    }

    @Test("SIGTERM lets a running job finish, then the worker exits")
    func drainsOnSigterm() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let job = try await enqueue(store)
        let started = cli.directory.appendingPathComponent("started")
        let go = cli.directory.appendingPathComponent("go")
        // The program finishes only when told to, once the worker has taken the signal: however
        // slow the machine, the job is still running when draining begins.
        let program = try script(
            cli, "steady.sh",
            "touch \"\(started.path)\"\nwhile [ ! -f \"\(go.path)\" ]; do sleep 0.05; done\nexit 0\n")
        let worker = try cli.start(["work", "--queue", "mail", "--", program])
        defer { worker.stop() }
        try await poll("the program to start") { FileManager.default.fileExists(atPath: started.path) }
        let waiting = try await enqueue(store)
        worker.signal(SIGTERM)
        try await poll("the worker to start draining") { worker.output.contains("draining: no more claims") }
        try Data().write(to: go)
        #expect(try await worker.waitForExit() == 0, "\(worker.output)")
        #expect(try await state(store, job).state == .completed)
        #expect(try await state(store, waiting).state == .available, "nothing is claimed after SIGTERM")
    }

    @Test("a program that ignores SIGTERM is killed after the deadline and its job released at once")
    func ignoresSigterm() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let job = try await enqueue(store)
        let pidFile = cli.directory.appendingPathComponent("stubborn.pid")
        let program = try script(
            cli, "stubborn.sh",
            """
            trap '' TERM
            echo $$ > "\(pidFile.path)"
            while true; do sleep 0.1; done
            """)
        let worker = try cli.start([
            "work", "--queue", "mail", "--shutdown-timeout", "1", "--kill-after", "1", "--", program,
        ])
        defer { worker.stop() }
        try await poll("the program to start") { try isAlive(pidFile: pidFile) }
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0, "\(worker.output)")
        let released = try await state(store, job)
        #expect(released.state == .available)
        #expect(released.attempt == 0, "the interrupted attempt is not counted")
        #expect(released.errors.isEmpty)
        #expect(try !isAlive(pidFile: pidFile), "the program was killed")
    }

    @Test("conveyor workers lists live workers and those that died")
    func workersListing() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        let worker = try cli.start(["work", "--queue", "mail", "--queue", "billing", "--", "true"])
        defer { worker.stop() }
        try await poll("the worker to register") { try await !store.workers().isEmpty }
        let live = try await cli.run(["workers", "--json"])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(live.stdout.utf8)) as? [[String: Any]])
        #expect(listed.first?["pid"] as? Int == Int(worker.process.processIdentifier))
        #expect(listed.first?["queues"] as? [String] == ["billing", "mail"])
        #expect(try await cli.run(["workers"]).stdout.contains("live"))
        // A worker killed outright cannot deregister: it stays listed, and turns dead once silent.
        worker.signal(SIGKILL)
        _ = try await worker.waitForExit()
        #expect(try await store.workers().count == 1)
        // Silence is simulated by ageing its last heartbeat in the database, not by waiting.
        let queue = try DatabaseQueue(path: cli.defaultDatabase)
        for (age, shown) in [(60, true), (7200, false)] {
            try await queue.write { db in
                try db.execute(
                    sql: "UPDATE workers SET last_heartbeat_at = ?",
                    arguments: [Date().addingTimeInterval(-Double(age)).unixMilliseconds])
            }
            let listing = try await cli.run(["workers"]).stdout
            #expect(listing.contains("dead") == shown, "\(listing)")
            #expect(listing.contains("(no workers)") == !shown)
            #expect(try await cli.run(["workers", "--all"]).stdout.contains("dead"))
        }
    }
}
