import ConveyorCore
import ConveyorTestSupport
import ConveyorWorker
import Foundation
import Testing

/// The README's library example is this target's `ReadmeExample.swift`, word for word, so it
/// compiles with every build; here it also runs.
@Suite("README example")
struct ReadmeExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func exampleBody(of text: String) -> String? {
        guard let begin = text.range(of: "// README example begins\n"),
            let end = text.range(of: "// README example ends")
        else { return nil }
        return String(text[begin.upperBound..<end.lowerBound])
    }

    @Test("the README shows exactly the example that compiles here")
    func readmeMatchesSource() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(
            contentsOf: Self.root.appendingPathComponent("Tests/ConveyorWorkerTests/ReadmeExample.swift"),
            encoding: .utf8)
        let example = try #require(Self.exampleBody(of: source))
        #expect(readme.contains("```swift\n" + example + "```"))
    }

    @Test("the example's handlers complete a good email and dead-letter a bad address")
    func exampleRuns() async throws {
        let h = try await WorkerHarness(handlers: emailHandlers(), queues: ["mail": 4])
        defer { h.remove() }
        let good = try await h.enqueue(
            type: "email.send", payload: #"{"to":"ada@example.com","subject":"hi"}"#, queue: "mail")
        let bad = try await h.enqueue(type: "email.send", payload: #"{"to":"nobody","subject":"hi"}"#, queue: "mail")
        try await h.waitFor(.completed, of: good.id)
        let dead = try #require(try await h.waitFor(.failed, of: bad.id))
        #expect(dead.state == .dead)
        #expect(dead.errors.last?.message == "not an email address: nobody")
        try await h.stop()
    }
}
