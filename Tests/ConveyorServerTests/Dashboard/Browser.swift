import ConveyorTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Browser is a real headless Chromium driven over the W3C WebDriver protocol: chromedriver
/// started on a free loopback port, one browser session, stopped with `quit()`.
/// `scripts/test` installs Debian's `chromium` and `chromium-driver`.
final class Browser: Sendable {
    static let driverPath = "/usr/bin/chromedriver"
    static let chromiumPath = "/usr/bin/chromium"

    /// Whether this machine can run the browser tests; `scripts/test` sets
    /// CONVEYOR_TEST_BROWSER=required, so there a missing browser fails the tests instead.
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: driverPath)
            || ProcessInfo.processInfo.environment["CONVEYOR_TEST_BROWSER"] == "required"
    }

    private let driver: Process
    private let endpoint: URL

    private init(driver: Process, endpoint: URL) {
        self.driver = driver
        self.endpoint = endpoint
    }

    /// Starts chromedriver and a browser whose window is `width` × `height`.
    static func launch(width: Int = 1280, height: Int = 900) async throws -> Browser {
        let driver = Process()
        driver.executableURL = URL(fileURLWithPath: driverPath)
        // Its own port, not 0: chromedriver refuses requests whose Host names another port than
        // the one it was given.
        let chosen = try freeLoopbackPort()
        driver.arguments = ["--port=\(chosen)"]
        let output = Pipe()
        driver.standardOutput = output
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        // Ready once it says so.
        let handle = output.fileHandleForReading
        let port: Int? = await Task.detached {
            var text = ""
            while true {
                let data = handle.availableData
                if data.isEmpty { return nil }
                text += String(decoding: data, as: UTF8.self)
                if text.contains("started successfully") { return chosen }
            }
        }.value
        guard let port else {
            stop(driver)
            throw BrowserError("chromedriver did not start")
        }
        let browser = Browser(driver: driver, endpoint: URL(string: "http://127.0.0.1:\(port)/session")!)
        do {
            try await browser.startSession(width: width, height: height)
        } catch {
            stop(driver)
            throw error
        }
        return browser
    }

    private let sessionID = Mutex<String?>(nil)

    private func startSession(width: Int, height: Int) async throws {
        let options: [String: Any] = [
            "binary": Self.chromiumPath,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=\(width),\(height)",
            ],
        ]
        let value = try await command(
            "POST", "", ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]],
            inSession: false)
        let id = try #require((value as? [String: Any])?["sessionId"] as? String)
        sessionID.withLock { $0 = id }
    }

    /// Ends the browser and the driver.
    func quit() async {
        if sessionID.withLock({ $0 }) != nil { _ = try? await command("DELETE", "", nil) }
        Self.stop(driver)
    }

    /// Kills chromedriver: it ignores SIGTERM (`terminate()`), and every suite run left one running.
    /// Not waited for: Foundation's Process on Linux can miss the exit of a child killed so.
    private static func stop(_ driver: Process) {
        if driver.processIdentifier > 0 { kill(driver.processIdentifier, SIGKILL) }
    }

    /// Loads `url` and waits for it to load.
    func open(_ url: URL) async throws { _ = try await command("POST", "/url", ["url": url.absoluteString]) }

    /// The address of the page shown.
    func currentURL() async throws -> String { try await command("GET", "/url", nil) as? String ?? "" }

    /// Resizes the window.
    func resize(width: Int, height: Int) async throws {
        _ = try await command("POST", "/window/rect", ["width": width, "height": height])
    }

    /// The first element matching a CSS selector; fails when there is none.
    func element(_ css: String) async throws -> String {
        let value = try await command("POST", "/element", ["using": "css selector", "value": css])
        return try #require((value as? [String: Any])?.values.first as? String, "no element \(css)")
    }

    /// How many elements match a CSS selector.
    func count(_ css: String) async throws -> Int {
        let value = try await command("POST", "/elements", ["using": "css selector", "value": css])
        return (value as? [Any])?.count ?? 0
    }

    /// Runs `body` on the first element matching `css`, finding it again if the page replaced it
    /// in between (a live region refreshing), as a user's second look would.
    private func onElement<T>(_ css: String, _ body: (String) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let id = try await element(css)
            do {
                return try await body(id)
            } catch let error as BrowserError where error.description.contains("stale element") && attempt < 20 {
                continue
            }
        }
    }

    func click(_ css: String) async throws {
        _ = try await onElement(css) { try await command("POST", "/element/\($0)/click", [:]) }
    }

    /// Types into an element (WebDriver key codes for Tab, Enter… included).
    func type(_ css: String, _ text: String) async throws {
        _ = try await onElement(css) { try await command("POST", "/element/\($0)/value", ["text": text]) }
    }

    /// Presses keys on whatever has focus, as a keyboard user does.
    func press(_ keys: String) async throws {
        let actions: [[String: Any]] = keys.unicodeScalars.flatMap { key -> [[String: Any]] in
            [["type": "keyDown", "value": String(key)], ["type": "keyUp", "value": String(key)]]
        }
        _ = try await command("POST", "/actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
    }

    static let tab = "\u{E004}"
    static let enter = "\u{E007}"

    /// The rendered text of the first element matching `css`.
    func text(_ css: String) async throws -> String {
        try await onElement(css) { try await command("GET", "/element/\($0)/text", nil) as? String ?? "" }
    }

    /// Waits until the first element matching `css` reads `expected` — after a click or a key
    /// that navigates, the next page may not have loaded yet.
    func waitForText(_ css: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
    {
        try await poll("\(css) to read \(expected)", timeout: .seconds(15), sourceLocation: sourceLocation) {
            (try? await text(css)) == expected
        }
    }

    /// Waits until the page shown is at an address ending in `suffix`.
    func waitForURL(endingIn suffix: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await poll("the page \(suffix)", timeout: .seconds(15), sourceLocation: sourceLocation) {
            (try? await currentURL())?.hasSuffix(suffix) == true
        }
    }

    /// Runs a script in the page (WebDriver's own, not the page's: the page's policy forbids inline
    /// script, and the tests only read with it).
    func evaluate(_ script: String) async throws -> Any? {
        try await command("POST", "/execute/sync", ["script": script, "args": []])
    }

    /// A PNG of the window.
    func screenshot() async throws -> Data {
        let text = try #require(try await command("GET", "/screenshot", nil) as? String)
        return try #require(Data(base64Encoded: text))
    }

    private func command(
        _ method: String, _ path: String, _ body: [String: Any]?, inSession: Bool = true
    )
        async throws -> Any?
    {
        var url = endpoint
        if inSession {
            let id = try #require(sessionID.withLock { $0 }, "no browser session")
            url = endpoint.appendingPathComponent(id)
        }
        if !path.isEmpty { url = URL(string: url.absoluteString + path)! }
        let data = try await WireRequest.send(
            method, url, body: try body.map { try JSONSerialization.data(withJSONObject: $0) })
        let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any]
        let value = object?["value"]
        if let failure = value as? [String: Any], let error = failure["error"] as? String {
            throw BrowserError("\(method) \(path): \(error): \(failure["message"] as? String ?? "")")
        }
        return value is NSNull ? nil : value
    }
}

struct BrowserError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// WireRequest is one HTTP/1.1 exchange over a plain socket, for chromedriver: it writes its
/// headers without a space after the colon, which Foundation's URLSession on Linux refuses
/// ("Failed writing header"). One request per connection, read until the driver closes it.
enum WireRequest {
    static func send(_ method: String, _ url: URL, body: Data?) async throws -> Data {
        try await Task.detached { try exchange(method, url, body: body) }.value
    }

    private static func exchange(_ method: String, _ url: URL, body: Data?) throws -> Data {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BrowserError("no socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(url.port ?? 80).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw BrowserError("cannot connect to \(url)") }
        let payload = body ?? Data()
        var request = "\(method) \(url.path) HTTP/1.1\r\nHost: 127.0.0.1:\(url.port ?? 80)\r\nConnection: close\r\n"
        request += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n\r\n"
        let bytes = Array(request.utf8) + Array(payload)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw BrowserError("cannot write to \(url)") }
            sent += written
        }
        // Read the head, then as many bytes as Content-Length says: the driver keeps the
        // connection open whatever the request asks.
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        func more() throws {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { throw BrowserError("the driver closed the connection early (\(url))") }
            response += buffer[0..<count]
        }
        while response.firstRange(of: Array("\r\n\r\n".utf8)) == nil { try more() }
        let end = response.firstRange(of: Array("\r\n\r\n".utf8))!
        let head = String(decoding: response[..<end.lowerBound], as: UTF8.self).lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { throw BrowserError("no Content-Length from \(url)") }
        while response.count - end.upperBound < length { try more() }
        return Data(response[end.upperBound..<(end.upperBound + length)])
    }
}
