import ConveyorCore
import ConveyorSQLite
import ConveyorTestSupport
import Foundation
import Testing

/// The CLI keeps a payload byte for byte too, under the same grammar as the HTTP API.
@Suite("conveyor CLI: payloads byte for byte")
struct PayloadCLITests {
    /// The bytes of the member `name` of the JSON object `text` prints.
    static func member(_ name: String, in text: String) throws -> [UInt8] {
        let document = try JSONDocument(parsing: Array(text.utf8), maxDepth: 1000)
        return document.value(at: [.name(name)]).map { Array(document.bytes[$0.span]) } ?? []
    }

    @Test("each tricky document is stored and printed as sent, from standard input and as an argument")
    func accepted() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        var ids: [(JobID, [UInt8])] = []
        for (index, payload) in PayloadCorpus.accepted.enumerated() {
            let shown = String(decoding: payload.prefix(60), as: UTF8.self)
            let base = ["enqueue", "--customer", "acme", "--queue", "mail", "--type", "t", "--payload"]
            // White space around the value is not part of it: the file's newline is not kept.
            let piped = try await cli.run(base + ["-"], input: Data(payload + Array("\n".utf8)))
            #expect(piped.status == 0, "\(shown): \(piped.stderr)")
            #expect(try Self.member("payload", in: piped.stdout) == payload, "\(shown) printed")
            let id = try #require(
                JobID(String(decoding: try Self.member("id", in: piped.stdout).dropFirst().dropLast(), as: UTF8.self)))
            ids.append((id, payload))
            // An argument is text, so only documents that are valid UTF-8 go there (all of these are).
            if index % 3 == 0 {
                // `--payload=…`: a document such as -0.0 would otherwise be read as an option.
                let argument = try await cli.run(
                    base.dropLast() + ["--payload=" + String(decoding: payload, as: UTF8.self)])
                #expect(argument.status == 0, "\(shown): \(argument.stderr)")
                #expect(try Self.member("payload", in: argument.stdout) == payload, "\(shown) as an argument")
            }
            let shownAgain = try await cli.run(["jobs", "show", id.description])
            #expect(try Self.member("payload", in: shownAgain.stdout) == payload, "\(shown) in jobs show")
        }
        let store = try await SQLiteJobStore.open(path: cli.defaultDatabase)
        for (id, payload) in ids {
            #expect(try await store.job(id: id).map { Array($0.payload.text.utf8) } == payload)
        }
    }

    @Test(
        "a document the grammar forbids, or with a byte-order mark, is refused in one sentence and nothing is written")
    func refused() async throws {
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        let cases =
            PayloadCorpus.refused.map { ($0.bytes, "payload" + $0.field, $0.rule) }
            + [(PayloadCorpus.byteOrderMarked, "payload", "byte-order mark")]
        for (bytes, field, rule) in cases {
            let shown = String(decoding: bytes.prefix(40), as: UTF8.self)
            let result = try await cli.run(
                ["enqueue", "--customer", "acme", "--queue", "mail", "--type", "t", "--payload", "-"],
                input: Data(bytes))
            #expect(result.status != 0, "\(shown)")
            #expect(result.stderr.contains("\(field) "), "\(shown): \(result.stderr)")
            #expect(result.stderr.contains(rule), "\(shown): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one sentence: \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: cli.defaultDatabase), "nothing was written")
    }
}
