public import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// DashboardClient speaks to the dashboard as a browser's forms would — form posts, one session
/// cookie, redirects not followed (so a test sees each 303) — over real HTTP on loopback.
public final class DashboardClient: Sendable {
    public let baseURL: URL
    private let session: URLSession
    private let cookie = Mutex<String?>(nil)

    public init(_ baseURL: URL) {
        self.baseURL = baseURL
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    public var sessionCookie: String? { cookie.withLock { $0 } }

    public struct Page: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let html: String

        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }

        /// The value of the hidden CSRF field of the page's forms.
        public var csrf: String? {
            guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
            return String(html[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    public func get(_ path: String) async throws -> Page { try await send("GET", path, form: nil) }

    /// Posts a form, from `origin` if given (a browser sends its page's origin), with `headers`
    /// (a proxy's, say).
    public func post(
        _ path: String, _ fields: [(String, String)], origin: String? = nil, headers: [String: String] = [:]
    ) async throws -> Page {
        try await send("POST", path, form: fields, origin: origin, headers: headers)
    }

    /// Signs in with `key`; the session cookie is kept for the next requests.
    @discardableResult
    public func signIn(_ key: String, headers: [String: String] = [:]) async throws -> Page {
        let page = try await post("/sign-in", [("key", key)], headers: headers)
        if let header = page.header("Set-Cookie"), let value = header.split(separator: ";").first {
            cookie.withLock { $0 = String(value) }
        }
        return page
    }

    /// Forgets the cookie, as a new browser would.
    public func forget() { cookie.withLock { $0 = nil } }

    /// Sends the cookie `value` from now on (a stolen or old cookie).
    public func use(cookie value: String?) { cookie.withLock { $0 = value } }

    private func send(
        _ method: String, _ path: String, form: [(String, String)]?, origin: String? = nil,
        headers: [String: String] = [:]
    ) async throws
        -> Page
    {
        var request = URLRequest(url: URL(string: path, relativeTo: baseURL)!)
        request.httpMethod = method
        if let cookie = sessionCookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        if let origin { request.setValue(origin, forHTTPHeaderField: "Origin") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let form {
            var components = URLComponents()
            components.queryItems = form.map { URLQueryItem(name: $0.0, value: $0.1) }
            let body = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            request.httpBody = Data(body.utf8)
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
        }
        return Page(status: http.statusCode, headers: headers, html: String(decoding: data, as: UTF8.self))
    }
}

/// NoRedirects hands every redirect back to the caller instead of following it.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) { completionHandler(nil) }
}
