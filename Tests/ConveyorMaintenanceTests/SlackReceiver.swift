import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// SlackReceiver stands in for Slack: a real HTTP server on loopback that answers each webhook
/// post with the next planned answer (200 once the plan runs out) and keeps what it received.
final class SlackReceiver: Sendable {
    struct Answer: Sendable {
        let status: Int
        var retryAfter: String? = nil
    }

    struct Received: Sendable {
        let at: ContinuousClock.Instant
        let body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { json["text"] as? String ?? "" }
    }

    /// What arrived, and what is still to answer.
    final class Inbox: Sendable {
        let received = Mutex<[Received]>([])
        let plan: Mutex<[Answer]>
        init(plan: [Answer]) { self.plan = Mutex(plan) }
    }

    private let inbox: Inbox
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    /// The webhook URL to post to.
    let webhook: URL

    var posts: [Received] { inbox.received.withLock { $0 } }

    static func start(answering plan: [Answer] = []) async throws -> SlackReceiver {
        let inbox = Inbox(plan: plan)
        let router = Router()
        router.post("/hooks/slack") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            inbox.received.withLock { $0.append(Received(at: .now, body: Data(body.readableBytesView))) }
            let answer = inbox.plan.withLock { $0.isEmpty ? Answer(status: 200) : $0.removeFirst() }
            var headers: HTTPFields = [:]
            if let retryAfter = answer.retryAfter { headers[.retryAfter] = retryAfter }
            return Response(status: .init(code: answer.status), headers: headers)
        }
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                port.yield(channel.localAddress?.port ?? 0)
                port.finish()
            }, logger: Logger(label: "slack-receiver"))
        let group = ServiceGroup(services: [application], logger: Logger(label: "slack-receiver"))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else { throw CancellationError() }
        return SlackReceiver(
            inbox: inbox, group: group, running: running,
            webhook: URL(string: "http://127.0.0.1:\(bound)/hooks/slack")!)
    }

    private init(inbox: Inbox, group: ServiceGroup, running: Task<Void, any Error>, webhook: URL) {
        self.inbox = inbox
        self.group = group
        self.running = running
        self.webhook = webhook
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
