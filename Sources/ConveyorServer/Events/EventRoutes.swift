import ConveyorCore
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle

/// EventRoutes stream job events as Server-Sent Events: a customer's own
/// (`GET /api/queue/{customerId}/events`; an admin key may name any customer) and every
/// customer's (`GET /api/events`, admin keys only). Filters: `queue`, `type` (the event's, e.g.
/// `job.completed`) and `job`, each repeatable. A client that reconnects with `Last-Event-ID` first
/// gets what it missed, in order, from the store — or a `reset` event when some of it was pruned —
/// then the live events, which `EventHub` reads once for every stream of the process.
struct EventRoutes {
    let stream: EventStream
    let queues: QueueRoutes

    func register(on router: RouterGroup<CallerContext>, admin: RouterGroup<AdminContext>) {
        router.get("queue/:customerId/events") { request, context in
            let customer = try await queues.customer(context)
            return try await stream.response(request, filter: try EventStream.filter(request, customer: customer))
        }
        admin.get("events") { request, _ in
            try await stream.response(request, filter: try EventStream.filter(request, customer: nil))
        }
    }
}

/// EventStream answers a request with a `text/event-stream` of the events a filter lets through:
/// the API's streams and the dashboard's.
struct EventStream: Sendable {
    let store: any EventStore
    let hub: EventHub
    /// How often an idle stream sends a comment, so that proxies and clients keep it open.
    static let keepAlive = Duration.seconds(15)
    /// Live events a stream may hold unsent; a client that falls further behind is disconnected,
    /// and resumes from the store with its `Last-Event-ID`.
    static let backlogLimit = 10_000

    /// The filter a request's query asks for.
    static func filter(_ request: Request, customer: String?) throws -> EventHub.Filter {
        let query = request.uri.queryParameters
        var filter = EventHub.Filter(customer: customer)
        for queue in query.getAll("queue") { filter.queues.insert(try NameRules.queue(String(queue))) }
        for kind in query.getAll("type") {
            guard let parsed = EventKind(rawValue: String(kind)) else {
                let kinds = EventKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError(field: "type", reason: "must be one of \(kinds)")
            }
            filter.kinds.insert(parsed)
        }
        for job in query.getAll("job") {
            guard let id = JobID(String(job)) else {
                throw ValidationError(field: "job", reason: "must be a job id (a UUID)")
            }
            filter.jobs.insert(id)
        }
        return filter
    }

    private enum Item: Sendable {
        case event(Event)
        case keepAlive
    }

    func response(_ request: Request, filter: EventHub.Filter) async throws -> Response {
        var resumeAfter: EventCursor?
        if let header = request.headers[.lastEventID], !header.isEmpty {
            guard let cursor = EventCursor(header) else {
                throw ValidationError(field: "Last-Event-ID", reason: "must be the id of an event of this stream")
            }
            resumeAfter = cursor
        }
        let (items, continuation) = AsyncStream.makeStream(
            of: Item.self, bufferingPolicy: .bufferingOldest(Self.backlogLimit))
        let hub = self.hub
        let subscription = try await hub.subscribe(filter) { event in
            if case .dropped = continuation.yield(.event(event)) { continuation.finish() }
        }
        let store = self.store
        let resume = resumeAfter
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .xAccelBuffering: "no"],
            body: ResponseBody { writer in
                defer { hub.unsubscribe(subscription) }
                try await withGracefulShutdownHandler {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            while !Task.isCancelled {
                                try await Task.sleep(for: Self.keepAlive)
                                continuation.yield(.keepAlive)
                            }
                        }
                        // Opens the stream at once, so that the client knows it is subscribed.
                        try await writer.write(ByteBuffer(string: ": subscribed\n\n"))
                        var sent = subscription.after
                        if let resume {
                            sent = try await Self.replay(
                                after: resume, until: subscription.after, filter: filter, store: store,
                                writer: &writer)
                        }
                        for await item in items {
                            switch item {
                            case .keepAlive:
                                try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            case .event(let event):
                                if let sent, event.id <= sent { continue }
                                try await writer.write(
                                    ByteBuffer(string: EventResource(event: event).serverSentEvent()))
                                sent = event.id
                            }
                        }
                        group.cancelAll()
                    }
                } onGracefulShutdown: {
                    continuation.finish()
                }
                try await writer.finish(nil)
            })
    }

    /// Writes the stored events after `cursor` up to `live` (where the live ones begin), or a
    /// `reset` when some of them were pruned; returns the last cursor written past.
    private static func replay(
        after cursor: EventCursor, until live: EventCursor?, filter: EventHub.Filter, store: any EventStore,
        writer: inout any ResponseBodyWriter
    ) async throws -> EventCursor? {
        if let pruned = try await store.prunedEventCursor(), cursor < pruned {
            try await writer.write(
                ByteBuffer(
                    string:
                        "event: reset\ndata: {\"reason\":\"events after the Last-Event-ID given are no longer kept; the stream goes on from now\"}\n\n"
                ))
            return live
        }
        guard let live else { return cursor }
        var position = cursor
        while position < live {
            let page = try await store.events(after: position, customer: filter.customer, limit: 500)
            guard !page.isEmpty else { break }
            for event in page where event.id <= live {
                if filter.matches(event) {
                    try await writer.write(ByteBuffer(string: EventResource(event: event).serverSentEvent()))
                }
                position = event.id
            }
            if page.last.map({ $0.id > live }) == true || page.count < 500 { break }
        }
        return max(position, live)
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
