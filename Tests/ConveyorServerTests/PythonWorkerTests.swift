import ConveyorCore
import Foundation
import Testing

@Suite("A worker in Python speaks the lease protocol")
struct PythonWorkerTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../examples/python-worker/worker.py").standardized

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
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", Self.script.path, "--queue", "py", "--max-jobs", "3", "--wait-seconds", "5",
            ]
            process.environment = [
                "CONVEYOR_URL": server.baseURL.absoluteString, "CONVEYOR_API_KEY": server.acmeKey,
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            ]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            let exited = AsyncStream<Int32> { continuation in
                process.terminationHandler = { continuation.yield($0.terminationStatus) }
            }
            try process.run()
            // Bounded: a worker that hangs is stopped and the test fails.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(60))
                process.terminate()
            }
            var statuses = exited.makeAsyncIterator()
            let status = await statuses.next()
            watchdog.cancel()
            let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
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
