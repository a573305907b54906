import Hummingbird
import Synchronization

/// RouteMethods knows which methods each route template answers, so that a request for a path
/// that exists with a method it lacks is 405 with `Allow` (RFC 9110 §15.5.6) rather than 404.
/// It learns the templates from the router once every route is registered.
final class RouteMethods: Sendable {
    private let templates = Mutex<[(segments: [Substring], methods: [HTTPRequest.Method])]>([])

    /// Takes the router's routes; call after the last route is registered.
    func learn(_ routes: [Router<some RequestContext>.RouteDescription]) {
        let grouped = Dictionary(grouping: routes, by: \.path.description)
        templates.withLock { templates in
            templates = grouped.map { path, routes in
                (path.split(separator: "/"), routes.map(\.method).sorted { $0.rawValue < $1.rawValue })
            }
        }
    }

    /// The methods the template matching `path` answers; empty when no template matches.
    func allowed(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return templates.withLock { templates in
            templates.first { template in
                template.segments.count == segments.count
                    && zip(template.segments, segments).allSatisfy { pattern, segment in
                        pattern.hasPrefix("{") || pattern == segment
                    }
            }?.methods ?? []
        }
    }
}
