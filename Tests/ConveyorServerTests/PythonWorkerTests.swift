import ConveyorCore
import Foundation
import Testing

@Suite("A worker in Python speaks the lease protocol")
struct PythonWorkerTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../examples/python-worker").standardized
    static let script = folder.appendingPathComponent("worker.py")

    /// Runs `arguments` in the example's folder, stopped after 60 s whatever it does; its status and output.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> (Int32?, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = environment.merging([
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        ]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let exited = AsyncStream<Int32> { continuation in
            process.terminationHandler = { continuation.yield($0.terminationStatus) }
        }
        try process.run()
        // Bounded: a process that hangs is stopped and the test fails.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            process.terminate()
        }
        var statuses = exited.makeAsyncIterator()
        let status = await statuses.next()
        watchdog.cancel()
        return (status, String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test("the example's README steps work as written from its folder", arguments: Engine.available)
    func readme(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let readme = try String(contentsOf: Self.folder.appendingPathComponent("README.md"), encoding: .utf8)
            let blocks = readme.components(separatedBy: "```sh\n").dropFirst().map {
                $0.components(separatedBy: "```")[0]
            }
            let steps = try #require(blocks.last, "the README has no shell block")
            // Only the user's own values change: the server's address, its admin key, and a worker
            // that stops after the one job instead of running until Ctrl-C.
            let url = server.baseURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let script = steps.replacingOccurrences(of: "http://127.0.0.1:8080", with: url)
                .replacingOccurrences(of: "cvk_…", with: server.adminKey)
                .replacingOccurrences(of: "./worker.py --queue mail", with: "./worker.py --queue mail --max-jobs 1")
            #expect(script.contains("--max-jobs 1"), "the README still starts the worker as ./worker.py --queue mail")
            let (status, log) = try await Self.run(["bash", "-euo", "pipefail", "-c", script], environment: [:])
            #expect(status == 0, "\(log)")
            #expect(log.contains("sum = 6"), "\(log)")
            let jobs = try await server.store.list(try JobQuery(filter: try JobFilter(customer: "demo")))
            #expect(jobs.jobs.map(\.state) == [.completed])
        }
    }

    @Test("a worker whose key the server refuses stops with one clear line", arguments: Engine.available)
    func refusedKey(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let (status, log) = try await Self.run(
                ["python3", Self.script.path, "--queue", "py", "--wait-seconds", "1"],
                environment: ["CONVEYOR_URL": server.baseURL.absoluteString, "CONVEYOR_API_KEY": "cvk_not_a_key"])
            #expect(status == 1, "\(log)")
            #expect(log.contains("refused CONVEYOR_API_KEY (401"), "\(log)")
        }
    }

    @Test(
        "examples/python-worker runs jobs against a live server: completes, and dead-letters what cannot succeed",
        arguments: Engine.available)
    func pythonWorker(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            var ids: [String] = []
            for body in [
                #"{"queue":"py","type":"sum","payload":{"numbers":[1,2,3]}}"#,
                #"{"queue":"py","type":"explode","payload":{"why":"testing"}}"#,
                #"{"queue":"py","type":"sum","payload":{"numbers":[4]}}"#,
            ] {
                let answer = try await server.send("POST", "/api/queue/acme", key: server.acmeKey, json: body)
                ids.append(try #require(answer.json["id"] as? String))
            }
            let (status, log) = try await Self.run(
                ["python3", Self.script.path, "--queue", "py", "--max-jobs", "3", "--wait-seconds", "5"],
                environment: ["CONVEYOR_URL": server.baseURL.absoluteString, "CONVEYOR_API_KEY": server.acmeKey])
            #expect(status == 0, "\(log)")
            #expect(log.contains("sum = 6"), "\(log)")

            var states: [String] = []
            for id in ids {
                let job = try await server.send("GET", "/api/jobs/\(id)", key: server.acmeKey)
                states.append(job.json["state"] as? String ?? "?")
            }
            #expect(states == ["completed", "dead", "completed"], "\(log)")
            let dead = try await server.send("GET", "/api/jobs/\(ids[1])", key: server.acmeKey)
            let message = (dead.json["errors"] as? [[String: Any]])?.last?["message"] as? String
            #expect(message?.contains("this job always fails") == true)
        }
    }
}
