import ConveyorCore
import ConveyorServer
import ConveyorTestSupport
import Foundation
import Logging
import Testing

/// What the server logs about jobs: one structured line per event, each with the job's id, customer
/// and queue — and the worker's id once a worker holds it.
@Suite("Structured job logs")
struct JobLogTests {
    @Test("enqueue, claim, complete, fail and cancel each log a line with the job's id, customer, queue and worker")
    func jobLines() async throws {
        let log = CapturedLog()
        let (store, remove) = try await Engine.sqlite.openStore()
        _ = try await store.createCustomer("acme")
        let (key, secret) = APIKeySecret.generate(customer: "acme")
        _ = try await store.createAPIKey(key)
        let server = try await ServerHarness.serve(
            store, rateLimits: nil, keys: (secret, "", ""), logger: log.logger, cleanup: remove)
        do {
            var ids: [String] = []
            for _ in 0..<3 {
                let answer = try await server.send(
                    "POST", "/api/queue/acme", key: secret, json: #"{"queue":"mail","type":"email.send","payload":{}}"#)
                ids.append(try #require(answer.json["id"] as? String))
            }
            func claim() async throws -> (id: String, token: String) {
                let answer = try await server.send(
                    "POST", "/api/workers/claim", key: secret, json: #"{"queues":["mail"],"worker_id":"w-7"}"#)
                let job = try #require((answer.json["jobs"] as? [[String: Any]])?.first)
                return (try #require(job["id"] as? String), try #require(job["lease_token"] as? String))
            }
            let (done, doneToken) = try await claim()
            _ = try await server.send(
                "POST", "/api/jobs/\(done)/complete", key: secret, json: #"{"lease_token":"\#(doneToken)"}"#)
            let (failed, failedToken) = try await claim()
            _ = try await server.send(
                "POST", "/api/jobs/\(failed)/fail", key: secret,
                json: #"{"lease_token":"\#(failedToken)","error":"smtp down"}"#)
            let cancelled = try #require(ids.first { $0 != done && $0 != failed })
            _ = try await server.send("POST", "/api/jobs/\(cancelled)/cancel", key: secret)

            func line(_ message: String, _ id: String) -> Logger.Metadata? {
                log.metadata(of: message).first { $0["job_id"]?.description == id }
            }
            #expect(Set(log.metadata(of: "job enqueued").compactMap { $0["job_id"]?.description }) == Set(ids))
            for (message, id) in [
                ("job enqueued", done), ("job claimed", done), ("job completed", done), ("job failed", failed),
                ("job cancelled", cancelled),
            ] {
                let metadata = try #require(line(message, id), "no \(message) line for \(id)")
                #expect(metadata["customer"]?.description == "acme" && metadata["queue"]?.description == "mail")
                #expect(metadata["type"]?.description == "email.send")
            }
            #expect(line("job claimed", done)?["worker_id"]?.description == "w-7")
            #expect(line("job failed", failed)?["error"]?.description == "smtp down")
            #expect(line("job failed", failed)?["state"]?.description == "retryable")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
