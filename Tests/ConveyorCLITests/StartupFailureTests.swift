import ConveyorTestSupport
import Foundation
import Testing

/// A process that cannot start says why in one sentence, at once, and leaves nothing behind.
@Suite("conveyor: start-up failures in one sentence")
struct StartupFailureTests {
    @Test("serve on a port another process holds names the address and starts nothing")
    func portInUse() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let (first, url) = try await ServeCommandTests.serve(cli)
        defer { first.stop() }
        let port = try #require(url.port)
        let second = try ConveyorProcess()
        defer { second.remove() }
        let refused = try await second.run(["serve", "--port", "\(port)"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr
                == "error: 127.0.0.1:\(port) is already in use by another process; stop it or choose another PORT (or --port)\n"
        )
        #expect(refused.stdout.isEmpty, "no admin key made, nothing served: \(refused.stdout)")
        #expect(!FileManager.default.fileExists(atPath: second.defaultDatabase), "no database made")
    }

    @Test("serve on a HOST that is no address of this machine says so")
    func unknownHost() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        for (host, sentence) in [
            (
                "nosuchhost.invalid",
                "error: HOST nosuchhost.invalid is neither an address of this machine nor a name it can resolve"
            ),
            ("192.0.2.1", "error: HOST 192.0.2.1 is not an address of this machine"),
        ] {
            let refused = try await cli.run(["serve", "--port", "0"], environment: ["HOST": host])
            #expect(refused.status == 1)
            #expect(refused.stderr.hasPrefix(sentence), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "one line: \(refused.stderr)")
        }
    }

    @Test("a PostgreSQL that refuses the connection is reported as refused, not as a connect timeout")
    func postgresRefuses() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let refused = try await cli.run(["jobs", "list"], environment: ["DATABASE_URL": "postgres://x@127.0.0.1:1/db"])
        #expect(refused.status == 1)
        // The refusal's own sentence: a server that does not answer is reported after the connect
        // timeout (10 s) as "no answer within 10 s" instead, so this one cannot have waited for it.
        // (A bound on the time taken said the same, less surely: a process started beside the
        // whole suite has taken over 9 s to start and answer.)
        #expect(
            refused.stderr
                == "error: cannot reach the PostgreSQL server at postgres://x@127.0.0.1:1/db: 127.0.0.1:1 refused the connection (no server listens there)\n"
        )
    }
}
