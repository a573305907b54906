import ConveyorCore
import Foundation
import NIOCore
import NIOHTTP1

/// LeaseDrainBenchmark drains jobs over the HTTP lease protocol, as a worker in another language
/// does: `clients` keep-alive connections, each claiming up to 10 jobs (`POST /api/workers/claim`,
/// no waiting) and completing each one (`POST /api/jobs/{id}/complete`) until the queue is empty.
/// `conveyor bench http --lease-drain N` runs it beside the in-process drain (a `WorkerService`).
struct LeaseDrainBenchmark {
    let store: any JobStore
    let port: Int
    let customer: String
    let secret: String
    let clients: Int

    /// Jobs per second draining `count` jobs enqueued beforehand on a fresh queue.
    func run(count: Int) async throws -> Double {
        let queue = "bench-lease-\(UInt32.random(in: 0 ... .max))"
        for start in stride(from: 0, to: count, by: 500) {
            _ = try await store.enqueue(
                batch: try (start..<min(start + 500, count)).map { n in
                    try NewJob(customer: customer, queue: queue, type: "noop", payloadJSON: "{\"n\":\(n)}")
                })
        }
        let started = ContinuousClock.now
        let completed = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in 0..<clients {
                group.addTask { try await drain(queue, worker: "bench-lease-\(client)") }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - started
        guard completed == count else {
            throw JobStoreError.unavailable(reason: "the lease drain completed \(completed) of \(count) jobs")
        }
        return Double(count) / elapsed.timeInterval
    }

    /// One client's loop; returns the jobs it completed.
    private func drain(_ queue: String, worker: String) async throws -> Int {
        let connection = try await HTTPConnection(port: port)
        return try await connection.use { send in
            var completed = 0
            let claim = ByteBuffer(string: #"{"queues":["\#(queue)"],"max":10,"worker_id":"\#(worker)"}"#)
            while true {
                let (status, body) = try await send(.POST, "/api/workers/claim", claim)
                guard status == .ok else { throw Self.refused("claim", status, body) }
                let jobs = try Self.leases(body)
                if jobs.isEmpty { return completed }
                for (id, token) in jobs {
                    let (status, body) = try await send(
                        .POST, "/api/jobs/\(id)/complete", ByteBuffer(string: #"{"lease_token":"\#(token)"}"#))
                    guard status == .ok else { throw Self.refused("complete", status, body) }
                    completed += 1
                }
            }
        } headers: {
            [("Authorization", "Bearer \(secret)"), ("Content-Type", "application/json")]
        }
    }

    /// The claimed jobs' ids and lease tokens.
    static func leases(_ body: ByteBuffer) throws -> [(String, String)] {
        struct Answer: Decodable {
            struct Claimed: Decodable {
                let id: String
                let leaseToken: String

                enum CodingKeys: String, CodingKey {
                    case id
                    case leaseToken = "lease_token"
                }
            }
            let jobs: [Claimed]
        }
        return try JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView)).jobs.map {
            ($0.id, $0.leaseToken)
        }
    }

    private static func refused(_ call: String, _ status: HTTPResponseStatus, _ body: ByteBuffer) -> JobStoreError {
        .unavailable(reason: "\(call) answered \(status.code): \(String(buffer: body))")
    }
}
