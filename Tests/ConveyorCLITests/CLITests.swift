import ConveyorCore
import ConveyorSQLite
import Foundation
import Testing

/// The `conveyor` command as a user runs it: a real process, a real SQLite file.
@Suite("conveyor CLI")
struct CLITests {
    @Test("enqueue prints the committed job; jobs show and jobs list find it")
    func enqueueAndRead() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let enqueued = try await cli.run([
            "enqueue", "--customer", "acme", "--queue", "mail", "--type", "email.send", "--payload",
            #"{"to":"ada@example.com"}"#,
            "--priority", "3", "--max-attempts", "5",
        ])
        #expect(enqueued.status == 0, "\(enqueued.stderr)")
        let job = try enqueued.json()
        let id = try #require(job["id"] as? String)
        #expect(job["state"] as? String == "available")
        #expect(job["priority"] as? Int == 3)
        #expect(job["max_attempts"] as? Int == 5)
        #expect((job["payload"] as? [String: String])?["to"] == "ada@example.com")

        let shown = try await cli.run(["jobs", "show", id])
        #expect(shown.status == 0)
        #expect(try shown.json()["id"] as? String == id)

        let listed = try await cli.run(["jobs", "list", "--json", "--queue", "mail"])
        #expect(listed.status == 0)
        let jobs = try #require(try listed.json()["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["id"] as? String } == [id])

        let table = try await cli.run(["jobs", "list"])
        #expect(table.stdout.contains(id))
        #expect(table.stdout.contains("available"))
    }

    @Test(
        "pause and resume a customer's queue, a queue and a customer; set-weight; a bad target is one sentence"
    )
    func pausesAndWeights() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        #expect(try await cli.run(["customers", "create", "acme"]).status == 0)
        let weighted = try await cli.run(["customers", "set-weight", "acme", "3"])
        #expect(weighted.status == 0 && weighted.stdout.contains("weight 3"), "\(weighted.stderr)")
        #expect(try await cli.run(["customers", "list"]).stdout.contains(" 3"))
        #expect(try await cli.run(["customers", "set-weight", "acme", "0"]).status != 0)
        #expect(try await cli.run(["customers", "set-weight", "acme", "--default"]).stdout.contains("weight 1"))

        let paused = try await cli.run(["pause", "--queue", "mail", "--customer", "acme"])
        #expect(paused.status == 0 && paused.stdout.contains("queue mail of customer acme"), "\(paused.stderr)")
        #expect(try await cli.run(["pause", "--queue", "mail"]).status == 0)
        #expect(try await cli.run(["pause", "--customer", "acme"]).status == 0)
        let listed = try await cli.run(["pause", "--list"]).stdout
        #expect(listed.contains("(every)") && listed.components(separatedBy: "\n").count >= 4, "\(listed)")
        #expect(
            try await cli.run(["resume", "--customer", "acme"]).stdout.contains("resumed every queue of customer acme"))
        #expect(try await cli.run(["resume", "--customer", "acme"]).stdout.contains("was not paused"))
        let bad = try await cli.run(["pause", "--queue", "No Spaces"])
        #expect(bad.status == 1 && bad.stderr.contains("queue"), "\(bad.stderr)")
        #expect(try await cli.run(["pause"]).status != 0)
    }

    @Test("cap, set-quota and BACKLOG_QUOTA hold jobs back; jobs counts shows what is paused and capped")
    func capsAndQuotas() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let enqueue = ["enqueue", "--customer", "acme", "--queue", "mail", "--type", "t", "--payload", "{}"]
        #expect(try await cli.run(enqueue).status == 0)
        let limited = try await cli.run(enqueue, environment: ["BACKLOG_QUOTA": "1"])
        #expect(limited.status == 1 && limited.stderr.contains("at most 1 jobs waiting"), "\(limited.stderr)")
        #expect(try await cli.run(enqueue, environment: ["BACKLOG_QUOTA": "0"]).stderr.contains("BACKLOG_QUOTA"))
        #expect(try await cli.run(["customers", "create", "acme"]).status == 0)
        let quota = try await cli.run(["customers", "set-quota", "acme", "5"])
        #expect(quota.status == 0 && quota.stdout.contains("5 jobs waiting"), "\(quota.stderr)")
        #expect(try await cli.run(enqueue, environment: ["BACKLOG_QUOTA": "1"]).status == 0, "its own quota wins")
        #expect(try await cli.run(["customers", "list"]).stdout.contains("5"))
        #expect(try await cli.run(["customers", "set-quota", "acme", "--default"]).stdout.contains("global"))

        let capped = try await cli.run(["cap", "--queue", "mail", "--customer", "acme", "--max-running", "2"])
        #expect(capped.status == 0 && capped.stdout.contains("at most 2"), "\(capped.stderr)")
        #expect(try await cli.run(["cap", "--customer", "acme", "--max-running", "7"]).status == 0)
        #expect(try await cli.run(["cap", "--list"]).stdout.contains("(every)"))
        #expect(try await cli.run(["pause", "--queue", "mail"]).status == 0)
        let counts = try await cli.run(["jobs", "counts"])
        let row = try #require(counts.stdout.split(separator: "\n").first { $0.hasPrefix("acme") }, "\(counts.stdout)")
        #expect(row.split(separator: " ").suffix(2) == ["yes", "2"], "paused, and the tighter cap: \(row)")
        #expect(
            try await cli.run(["cap", "--queue", "mail", "--customer", "acme", "--remove"]).stdout.contains("removed"))
        #expect(
            try await cli.run(["cap", "--queue", "mail", "--customer", "acme", "--remove"]).stdout.contains("no cap"))
        #expect(try await cli.run(["cap", "--queue", "mail", "--max-running", "0"]).status != 0)
        #expect(try await cli.run(["cap", "--queue", "mail"]).status != 0)
    }

    @Test("a delayed job is scheduled; listing pages with a cursor")
    func delayAndPaging() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let delayed = try await cli.run([
            "enqueue", "--customer", "acme", "--queue", "q", "--type", "t", "--payload", "{}", "--delay", "60",
        ])
        #expect(try delayed.json()["state"] as? String == "scheduled")
        for _ in 0..<2 {
            _ = try await cli.run(["enqueue", "--customer", "acme", "--queue", "q", "--type", "t", "--payload", "{}"])
        }
        let first = try await cli.run(["jobs", "list", "--json", "--limit", "2"])
        let cursor = try #require(try first.json()["next_cursor"] as? String)
        let second = try await cli.run(["jobs", "list", "--json", "--limit", "2", "--cursor", cursor])
        let rest = try #require(try second.json()["jobs"] as? [[String: Any]])
        #expect(rest.count == 1)
        #expect(rest.first?["state"] as? String == "scheduled")
        #expect(try second.json()["next_cursor"] is NSNull)
    }

    @Test(
        "bad enqueue input prints one sentence naming the problem, exits non-zero and writes nothing",
        arguments: [
            (["--payload", "{bad"], "payload is not valid JSON"),
            (["--payload", "[1,]"], "payload is not valid JSON"),
            (["--queue", "Bad Queue"], "queue must be"),
            (["--customer", "ACME"], "customer must be"),
            (["--type", "9lives"], "type must be"),
            (["--delay=-5"], "must not be negative"),
            (["--max-attempts", "0"], "max_attempts must be between 1 and 100"),
            (["--max-attempts", "101"], "max_attempts must be between 1 and 100"),
            (["--priority", "10"], "priority must be between 0"),
        ])
    func badEnqueueInput(_ change: [String], _ message: String) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        var options = ["--customer": "acme", "--queue": "mail", "--type": "email.send", "--payload": "{}"]
        var extra: [String] = []
        var index = 0
        while index < change.count {
            if change[index].contains("=") || index + 1 >= change.count {
                extra.append(change[index])
                index += 1
            } else {
                options[change[index]] = change[index + 1]
                index += 2
            }
        }
        let arguments = ["enqueue"] + options.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] } + extra
        let result = try await cli.run(arguments)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("error: "))
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: cli.defaultDatabase), "no database file was created")
    }

    @Test("bad input against an existing database leaves its jobs as they were")
    func badInputWritesNothing() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        #expect(
            try await cli.run(["enqueue", "--customer", "acme", "--queue", "q", "--type", "t", "--payload", "{}"])
                .status == 0
        )
        let oversized = "\"" + String(repeating: "x", count: 256 * 1024) + "\""
        let refused = try await cli.run(
            ["enqueue", "--customer", "acme", "--queue", "q", "--type", "t", "--payload", "-"], stdin: oversized)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("the limit is 262144 bytes"))
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        #expect(try await store.counts(customer: nil).map(\.total) == [1])

        let fromStdin = try await cli.run(
            ["enqueue", "--customer", "acme", "--queue", "q", "--type", "t", "--payload", "-"], stdin: #"{"big": true}"#
        )
        #expect(fromStdin.status == 0)
        #expect(try fromStdin.json()["payload"] as? [String: Bool] == ["big": true])
    }

    @Test("unknown ids, malformed ids and missing databases are one clear sentence each")
    func readErrors() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let missing = try await cli.run(["jobs", "list"])
        #expect(missing.status != 0)
        // The full path: a user in the wrong folder sees which folder was meant.
        #expect(missing.stderr.contains("there is no database at \(cli.defaultDatabase);"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.defaultDatabase), "reading does not create a database")

        #expect(try await cli.run(["migrate"]).status == 0)
        let unknownID = "01a22569-5017-757c-be33-5b64b83a9308"
        let unknown = try await cli.run(["jobs", "show", unknownID])
        #expect(unknown.status != 0)
        #expect(unknown.stderr == "error: no job with id \(unknownID)\n")
        let malformed = try await cli.run(["jobs", "show", "42"])
        #expect(malformed.stderr == "error: \"42\" is not a job id (a UUID)\n")
        let badState = try await cli.run(["jobs", "list", "--state", "done"])
        #expect(badState.stderr.contains("state must be one of scheduled, available"))

        let unreadable = try await cli.run([
            "enqueue", "--customer", "a", "--queue", "q", "--type", "t", "--payload", "{}", "--database",
            "/nonexistent-dir/x.sqlite",
        ])
        #expect(unreadable.status != 0)
        #expect(
            unreadable.stderr
                == "error: cannot open the database at /nonexistent-dir/x.sqlite: unable to open database file\n")

        let notADatabase = cli.directory.appendingPathComponent("notes.txt")
        try "these are not the jobs you are looking for".write(to: notADatabase, atomically: true, encoding: .utf8)
        let garbage = try await cli.run(["jobs", "list", "--database", notADatabase.path])
        #expect(garbage.status != 0)
        #expect(garbage.stderr.hasPrefix("error: cannot open the database at \(notADatabase.path)"))
    }

    @Test("DATABASE_URL selects the file; --database wins over it; other schemes are refused")
    func databaseSelection() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let fromEnvironment = cli.directory.appendingPathComponent("env.sqlite").path
        let enqueue = ["enqueue", "--customer", "a", "--queue", "q", "--type", "t", "--payload", "{}"]
        #expect(try await cli.run(enqueue, environment: ["DATABASE_URL": fromEnvironment]).status == 0)
        #expect(FileManager.default.fileExists(atPath: fromEnvironment))
        let explicit = cli.directory.appendingPathComponent("explicit.sqlite").path
        #expect(
            try await cli.run(enqueue + ["--database", explicit], environment: ["DATABASE_URL": fromEnvironment]).status
                == 0)
        #expect(FileManager.default.fileExists(atPath: explicit))
        let mysql = try await cli.run(enqueue, environment: ["DATABASE_URL": "mysql://localhost/jobs"])
        #expect(mysql.stderr.contains("unsupported scheme mysql://"))
        let postgres = try await cli.run(enqueue, environment: ["DATABASE_URL": "postgres://app:secret@localhost/jobs"])
        #expect(postgres.status != 0)
        #expect(!postgres.stderr.contains("secret"), "passwords are never printed")
        #expect(!FileManager.default.fileExists(atPath: cli.defaultDatabase))
    }

    @Test("migrate creates the schema, reports status, and a second run is a no-op")
    func migrate() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let status = try await cli.run(["migrate", "status"])
        #expect(status.status != 0)
        let first = try await cli.run(["migrate"])
        #expect(first.status == 0)
        #expect(first.stdout.contains("applied 001_jobs"))
        let second = try await cli.run(["migrate", "up"])
        #expect(second.stdout == "./conveyor.sqlite is up to date\n")
        let listed = try await cli.run(["migrate", "status"])
        #expect(listed.stdout.contains("001_jobs"))
        #expect(!listed.stdout.contains("pending"))
    }

    /// Enqueues a job of acme on `queue` with a single attempt and fails it with `error`: it is
    /// dead, its attempts exhausted.
    static func killJob(_ store: any JobStore, queue: String, error: String) async throws {
        _ = try await store.enqueue(
            NewJob(customer: "acme", queue: queue, type: "t", payloadJSON: "{}", maxAttempts: 1))
        let job = try #require(try await store.claim(ClaimRequest(queues: [queue])).first)
        _ = try await store.fail(try #require(job.lease), message: error, retryable: true)
    }

    @Test("dlq lists dead jobs, replays them by id and purges them by filter")
    func deadLetterQueue() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        for queue in ["mail", "mail", "billing"] { try await Self.killJob(store, queue: queue, error: "smtp said no") }
        let listed = try await cli.run(["dlq", "list", "--json"])
        let dead = try #require(try listed.json()["jobs"] as? [[String: Any]])
        #expect(dead.count == 3)
        #expect(dead.allSatisfy { $0["dead_reason"] as? String == "exhausted" })
        let table = try await cli.run(["dlq", "list", "--queue", "mail"])
        #expect(table.stdout.contains("smtp said no"))

        let billingID = try #require(dead.first { $0["queue"] as? String == "billing" }?["id"] as? String)
        let replayed = try await cli.run(["dlq", "replay", billingID])
        #expect(replayed.status == 0)
        #expect(replayed.stdout.hasSuffix("1 job replayed\n"))
        let billingJobID = try #require(JobID(billingID))
        let job = try #require(try await store.job(id: billingJobID))
        #expect(job.state == .available && job.replayCount == 1)

        let again = try await cli.run(["dlq", "replay", billingID])
        #expect(again.status != 0)
        #expect(again.stderr.contains("is available and cannot be replayed"))

        #expect(try await cli.run(["dlq", "purge"]).stderr.contains("--all"))
        let purged = try await cli.run(["dlq", "purge", "--all", "--queue", "mail"])
        #expect(purged.stdout == "2 jobs purged\n")
        #expect(try await store.counts(customer: nil).reduce(0) { $0 + $1.total } == 1)
    }

    @Test("dlq replays by error text at a pace, refuses a bad time, and prunes by retention")
    func deadLetterTools() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        for message in ["smtp timeout", "SMTP timeout", "mailbox full"] {
            try await Self.killJob(store, queue: "mail", error: message)
        }
        let replayed = try await cli.run(["dlq", "replay", "--all", "--error", "Timeout", "--per-second", "0.5"])
        #expect(replayed.status == 0 && replayed.stdout.hasSuffix("2 jobs replayed\n"), "\(replayed.stderr)")
        let states = try await store.counts(customer: "acme").first?.counts
        #expect(states == [.available: 1, .scheduled: 1, .dead: 1], "one now, the next two seconds later")
        let badTime = try await cli.run(["dlq", "purge", "--all", "--died-after", "yesterday"])
        #expect(badTime.status == 1 && badTime.stderr.contains("--died-after must be an RFC 3339 time"))
        let mixed = try await cli.run(["dlq", "purge", "some-id", "--error", "x"])
        #expect(mixed.status != 0 && mixed.stderr.contains("cannot be combined with job ids"))
        let pruned = try await cli.run(["dlq", "prune", "--dead-max", "0"])
        #expect(pruned.stdout == "pruned 0 completed, 0 cancelled, 1 dead jobs\n", "\(pruned.stderr)")
    }

    @Test(
        "every command has --help",
        arguments: [
            [], ["migrate"], ["migrate", "up"], ["migrate", "status"], ["enqueue"], ["jobs"], ["jobs", "list"],
            ["jobs", "show"], ["dlq"], ["dlq", "list"], ["dlq", "replay"], ["dlq", "purge"], ["dlq", "prune"],
            ["monitor", "dlq"],
        ])
    func help(_ command: [String]) async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let result = try await cli.run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: conveyor"))
    }
}
