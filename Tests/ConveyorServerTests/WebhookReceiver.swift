import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// WebhookReceiver stands in for customers' endpoints: a real HTTP server on loopback that keeps
/// every delivery it gets (per path) and answers each with the path's next planned status (204
/// once the plan runs out). A path marked slow holds its answers until `release()`; one marked
/// endless answers 200 with a body that never ends (until the sender hangs up), in 16 KiB chunks
/// or, trickling, a byte every 100 ms.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        let path: String
        let headers: [String: String]
        let body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var type: String { json["type"] as? String ?? "" }
    }

    private final class State: Sendable {
        let received = Mutex<[Delivery]>([])
        let plans = Mutex<[String: [Int]]>([:])
        let slow = Mutex<Set<String>>([])
        /// Endless paths, and whether each trickles.
        let endless = Mutex<[String: Bool]>([:])
        let released = Mutex(false)
        /// Per slow path: how many requests it holds now, and the most it held at once.
        let held = Mutex<[String: (now: Int, most: Int)]>([:])
    }

    private let state: State
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    let base: String

    var deliveries: [Delivery] { state.received.withLock { $0 } }

    func deliveries(to path: String) -> [Delivery] { deliveries.filter { $0.path == path } }

    /// The statuses `path` answers with next, in order.
    func plan(_ path: String, _ statuses: [Int]) { state.plans.withLock { $0[path] = statuses } }

    /// Holds `path`'s answers until `release()`.
    func slow(_ path: String) { state.slow.withLock { _ = $0.insert(path) } }

    /// Answers `path` with 200 and a body that never ends.
    func endless(_ path: String, trickling: Bool = false) { state.endless.withLock { $0[path] = trickling } }

    func release() { state.released.withLock { $0 = true } }

    /// The most requests a slow path held at once.
    func mostHeld(_ path: String) -> Int { state.held.withLock { $0[path]?.most ?? 0 } }

    static func start() async throws -> WebhookReceiver {
        let state = State()
        let router = Router()
        router.post("/hooks/:name") { request, _ -> Response in
            let path = request.uri.path
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            state.received.withLock {
                $0.append(Delivery(path: path, headers: headers, body: Data(body.readableBytesView)))
            }
            if state.slow.withLock({ $0.contains(path) }) {
                state.held.withLock { held in
                    let now = (held[path]?.now ?? 0) + 1
                    held[path] = (now, max(now, held[path]?.most ?? 0))
                }
                defer { state.held.withLock { $0[path]?.now -= 1 } }
                while !state.released.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
            }
            if let trickling = state.endless.withLock({ $0[path] }) {
                return Response(
                    status: .ok,
                    body: ResponseBody { writer in
                        let chunk = ByteBuffer(repeating: UInt8(ascii: "a"), count: trickling ? 1 : 16 * 1024)
                        while true {
                            try await writer.write(chunk)
                            if trickling { try await Task.sleep(for: .milliseconds(100)) }
                        }
                    })
            }
            let status = state.plans.withLock { plans in
                (plans[path]?.isEmpty ?? true) ? 204 : plans[path]!.removeFirst()
            }
            // A redirect points elsewhere on this receiver: a sender that followed it would show there.
            let answer: HTTPFields = (300..<400).contains(status) ? [.location: "/hooks/redirected"] : [:]
            return Response(status: .init(code: status), headers: answer)
        }
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                port.yield(channel.localAddress?.port ?? 0)
                port.finish()
            }, logger: Logger(label: "webhook-receiver"))
        let group = ServiceGroup(services: [application], logger: Logger(label: "webhook-receiver"))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else { throw CancellationError() }
        return WebhookReceiver(state: state, group: group, running: running, base: "http://127.0.0.1:\(bound)")
    }

    private init(state: State, group: ServiceGroup, running: Task<Void, any Error>, base: String) {
        self.state = state
        self.group = group
        self.running = running
        self.base = base
    }

    func stop() async {
        release()
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
