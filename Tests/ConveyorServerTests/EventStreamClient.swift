import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// ServerSentEvent is one event of a `text/event-stream` as a client parses it.
struct ServerSentEvent: Sendable, Equatable {
    var id: String?
    var event: String?
    var data: String?

    /// The data as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data((data ?? "").utf8))) as? [String: Any] ?? [:]
    }
}

/// EventStreamClient reads a Server-Sent Events stream as a browser's EventSource would (the
/// parts of the format the server uses: `id`, `event`, `data`, comments), over a URLSession task
/// of its own, and hands each event over as it arrives.
final class EventStreamClient: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let events: AsyncStream<ServerSentEvent>
    private let continuation: AsyncStream<ServerSentEvent>.Continuation
    private let state = Mutex<(buffer: String, status: Int?, contentType: String?, comments: Int)>(("", nil, nil, 0))
    private let opened = AsyncStream<Void>.makeStream()
    private var session: URLSession!
    private var task: URLSessionDataTask!

    /// Opens the stream at `path` with `key`, resuming after `lastEventID` when given, and waits
    /// until the server answered.
    static func open(
        _ server: ServerHarness, _ path: String, key: String, lastEventID: String? = nil
    ) async throws -> EventStreamClient {
        let client = EventStreamClient()
        var request = URLRequest(url: URL(string: path, relativeTo: server.baseURL)!)
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        if let lastEventID { request.setValue(lastEventID, forHTTPHeaderField: "Last-Event-ID") }
        request.timeoutInterval = 120
        client.session = URLSession(configuration: .ephemeral, delegate: client, delegateQueue: nil)
        client.task = client.session.dataTask(with: request)
        client.task.resume()
        for await _ in client.opened.stream { break }
        return client
    }

    private override init() {
        (events, continuation) = AsyncStream.makeStream(of: ServerSentEvent.self)
    }

    var status: Int? { state.withLock { $0.status } }
    var contentType: String? { state.withLock { $0.contentType } }

    /// The next `count` events, or fails the test when they do not come within `seconds`.
    func next(
        _ count: Int = 1, within seconds: Double = 20, sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws -> [ServerSentEvent]
    {
        let events = self.events
        let received = await withTaskGroup(of: [ServerSentEvent]?.self) { group in
            group.addTask {
                var received: [ServerSentEvent] = []
                for await event in events {
                    received.append(event)
                    if received.count == count { return received }
                }
                return received
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
        return try #require(received, "fewer than \(count) events came", sourceLocation: sourceLocation)
    }

    func close() {
        task.cancel()
        session.invalidateAndCancel()
        continuation.finish()
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        let http = response as? HTTPURLResponse
        state.withLock {
            $0.status = http?.statusCode
            $0.contentType = http?.value(forHTTPHeaderField: "Content-Type")
        }
        completionHandler(.allow)
        if http?.statusCode != 200 { opened.continuation.yield() }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let blocks = state.withLock { state -> [String] in
            state.buffer += String(decoding: data, as: UTF8.self)
            var blocks: [String] = []
            while let end = state.buffer.range(of: "\n\n") {
                blocks.append(String(state.buffer[..<end.lowerBound]))
                state.buffer = String(state.buffer[end.upperBound...])
            }
            return blocks
        }
        for block in blocks {
            var event = ServerSentEvent()
            var isComment = true
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") { continue }
                isComment = false
                let parts = line.split(separator: ":", maxSplits: 1)
                let value = parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""
                switch parts.first.map(String.init) {
                case "id": event.id = value
                case "event": event.event = value
                case "data": event.data = (event.data.map { $0 + "\n" } ?? "") + value
                default: break
                }
            }
            if isComment {
                // The first comment says the stream is open.
                opened.continuation.yield()
            } else {
                continuation.yield(event)
            }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        opened.continuation.yield()
        continuation.finish()
    }
}
