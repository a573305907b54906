import ConveyorCore
import Foundation
import Testing

/// The container files cannot be run here (no container engine), so what can be checked without
/// one is: every service runs a real `conveyor` command whose options and settings are accepted,
/// and every setting they pass is in the README's configuration table.
@Suite("Dockerfile and docker-compose.yml")
struct ContainerFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized

    static var compose: String {
        (try? String(contentsOf: root.appendingPathComponent("docker-compose.yml"), encoding: .utf8)) ?? ""
    }

    /// The settings the file passes to conveyor, with the defaults it gives them (`${X:-default}`).
    static var settings: [String: String] {
        var found: [String: String] = [:]
        for match in compose.matches(of: /\n\s+([A-Z][A-Z0-9_]*): (.*)/) where !match.1.hasPrefix("POSTGRES_") {
            let value = String(match.2)
            let fallback = value.firstMatch(of: /\$\{[A-Z_]+:-([^}]*)\}/).map { String($0.1) }
            found[String(match.1)] = fallback ?? value
        }
        return found
    }

    @Test("every conveyor service runs a real command whose options and settings are accepted")
    func commands() async throws {
        let commands = Self.compose.matches(of: /command: (\[.*\])/).compactMap {
            try? JSONDecoder().decode([String].self, from: Data($0.1.utf8))
        }
        #expect(commands.map { $0.first } == ["serve", "work", "monitor", "monitor"])
        var environment = Self.settings
        environment["CONVEYOR_ADMIN_KEY"] = APIKeySecret.generate(customer: nil).secret
        // Parsing and settings pass; the run stops only where it opens the (unreachable) database.
        environment["DATABASE_URL"] = "/proc/no-such-directory/conveyor.sqlite"
        let cli = try ConveyorProcess()
        defer { cli.remove() }
        for command in commands {
            let result = try await cli.run(command, environment: environment)
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("cannot open the database"), "\(command): \(result.stderr)")
        }
    }

    @Test("every setting the containers pass is in the README's configuration table")
    func documented() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let table = readme.split(separator: "\n").filter { $0.hasPrefix("| `") }.joined(separator: "\n")
        let settings = Self.settings.keys.sorted()
        #expect(settings.count >= 15)
        for name in settings {
            #expect(table.contains("`\(name)`"), "\(name) is not in the README's table")
        }
    }

    @Test("the Dockerfile builds the conveyor product and ships its resource bundles")
    func dockerfile() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("Dockerfile"), encoding: .utf8)
        #expect(text.contains("swift build -c release --product conveyor"))
        #expect(text.contains(".resources"), "the migrations are resources beside the binary")
        #expect(text.contains("ENTRYPOINT [\"conveyor\"]"))
    }
}
