import ConveyorCore
import Foundation
import Hummingbird
import Mustache

/// DashboardPages renders the dashboard's templates (bundled resources, loaded once). Templates
/// escape every value they are given, so a payload or an error holding markup is shown as text;
/// the one raw insertion is the chart the server draws itself.
struct DashboardPages: Sendable {
    let library: MustacheLibrary
    let refreshInterval: Duration

    /// Loads the bundled templates.
    init(refreshInterval: Duration) {
        var library = MustacheLibrary()
        if let folder = Bundle.module.url(forResource: "Templates", withExtension: nil),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        {
            for name in names where name.hasSuffix(".mustache") {
                guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else {
                    continue
                }
                // A template that does not parse is a bug of ours, found by every page test.
                try? library.register(text, named: String(name.dropLast(".mustache".count)))
            }
        }
        self.library = library
        self.refreshInterval = refreshInterval
    }

    /// The full page `template` with `view` (which carries its `frame`).
    func page(_ template: String, _ view: Any, status: HTTPResponse.Status = .ok) -> Response {
        html(library.render(view, withTemplate: template) ?? "", status: status)
    }

    /// A fragment (a live region's contents).
    func fragment(_ template: String, _ view: Any) -> Response {
        html(library.render(view, withTemplate: template) ?? "")
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func frame(_ title: String, _ session: DashboardSession?, current: String? = nil, notice: String? = nil) -> Frame {
        Frame(
            title: title, session: session.map(SessionView.init),
            nav: session.map { Frame.nav(for: $0.caller, current: current) } ?? [],
            refreshMilliseconds: Int(refreshInterval.timeInterval * 1000), notice: notice)
    }

    /// The page for an error: its status, and the problem's detail as text.
    func errorPage(_ problem: Problem, signedIn session: DashboardSession?) -> Response {
        struct View {
            let frame: Frame
            let detail: String
            let back: String
        }
        var response = page(
            "error", View(frame: frame(problem.title, session), detail: problem.detail, back: "/"),
            status: problem.status)
        response.headers.append(contentsOf: problem.headers)
        return response
    }
}

/// Frame is what the layout shows around every page.
struct Frame {
    struct Link {
        let href: String
        let label: String
        let current: Bool
    }

    let title: String
    let session: SessionView?
    let nav: [Link]
    let refreshMilliseconds: Int
    let notice: String?

    static func nav(for caller: Caller, current: String?) -> [Link] {
        var links = [
            ("/", "Overview"), ("/queues", "Queues"), ("/jobs", "Jobs"), ("/dead-letters", "Dead letters"),
            ("/workers", "Workers"), ("/webhooks", "Webhooks"), ("/schedules", "Schedules"),
        ]
        if caller.isAdmin { links.append(("/customers", "Customers and keys")) }
        return links.map { Link(href: $0.0, label: $0.1, current: $0.0 == current) }
    }
}

/// SessionView is the signed-in part of the layout: who, the sign-out form's token, read-only.
struct SessionView {
    let who: String
    let csrf: String
    let readOnly: Bool

    init(_ session: DashboardSession) {
        switch session.caller {
        case .admin: who = "admin"
        case .customer(let name, _): who = "customer \(name)"
        }
        csrf = session.csrfToken
        readOnly = !session.canAct
    }
}

/// DashboardTime writes times and ages the way the pages show them.
enum DashboardTime {
    static func text(_ date: Date?) -> String {
        guard let date else { return "" }
        return date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(
                .colon)) + "Z"
    }

    static func age(since date: Date, now: Date) -> String {
        age(seconds: Int(now.timeIntervalSince(date)))
    }

    static func age(seconds: Int) -> String {
        let seconds = max(0, seconds)
        switch seconds {
        case ..<60: return "\(seconds) s"
        case ..<3600: return "\(seconds / 60) min"
        case ..<86400: return "\(seconds / 3600) h \(seconds % 3600 / 60) min"
        default: return "\(seconds / 86400) d"
        }
    }
}

/// TemplateView lets a template read a view's stored properties by name, and the values `extras`
/// adds — what would be computed properties, which reflection does not see.
protocol TemplateView: MustacheParent {
    var extras: [String: Any] { get }
}

extension TemplateView {
    var extras: [String: Any] { [:] }

    func child(named name: String) -> Any? {
        if let value = extras[name] { return value }
        guard let child = Mirror(reflecting: self).children.first(where: { $0.label == name }) else { return nil }
        let inner = Mirror(reflecting: child.value)
        return inner.displayStyle == .optional ? inner.children.first?.value : child.value
    }
}
