import ConveyorCore
import ConveyorSQLite
import ConveyorServer
import Foundation
import Logging
import Testing

@Suite("HTTP API: the OpenAPI document")
struct OpenAPITests {
    static let documentURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/ConveyorServer/OpenAPI/openapi.json").standardized

    static var document: [String: Any] {
        guard let data = try? Data(contentsOf: documentURL),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }

    /// "METHOD /path/{param}" for every operation the document describes.
    static var documentedRoutes: Set<String> {
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        return Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
    }

    /// A concrete request path as the document's template (`/api/jobs/<uuid>` → `/api/jobs/{id}`).
    static func template(_ path: String) -> String {
        let segments = path.split(separator: "?")[0].split(separator: "/", omittingEmptySubsequences: false)
        var templated: [String] = []
        for (index, segment) in segments.enumerated() {
            let previous = index > 0 ? segments[index - 1] : ""
            if previous == "queue" {
                templated.append("{customerId}")
            } else if index >= 2, segments[index - 2] == "queue", !["batch", "webhooks", "schedules"].contains(segment)
            {
                templated.append("{queue}")
            } else if previous == "queues" {
                templated.append("{queue}")
            } else if (previous == "jobs" || previous == "dlq") && JobID(String(segment)) != nil {
                templated.append("{id}")
            } else if previous == "keys" || previous == "webhooks" {
                templated.append("{id}")
            } else if previous == "schedules" {
                templated.append("{name}")
            } else if previous == "customers" {
                templated.append("{name}")
            } else {
                templated.append(String(segment))
            }
        }
        return templated.joined(separator: "/")
    }

    /// The monitoring group's routes: keyed but never rate limited.
    static let monitoringPaths: Set<String> = ["/api/health", "/metrics"]

    @Test("every route the server has is documented, and every documented route exists")
    func routesMatch() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conveyor-openapi-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteJobStore.open(path: directory.appendingPathComponent("c.sqlite").path)
        let health = HealthMonitor(
            store: store, rateLimiter: nil, configuration: HealthConfiguration(version: "t", leaderRole: "r"),
            logger: Logger(label: "openapi"))
        let router = ConveyorAPI.router(
            store: store, health: health, metrics: MetricsExport.prometheus(),
            events: EventHub(store: store, logger: Logger(label: "openapi")))
        let served = Set(
            router.routes.map { route in
                let path = "\(route.path)"
                return "\(route.method.rawValue) \(path.hasPrefix("/") ? path : "/" + path)"
            })
        #expect(Self.documentedRoutes.count >= 21)
        #expect(served.subtracting(Self.documentedRoutes).isEmpty, "routes with no description")
        #expect(Self.documentedRoutes.subtracting(served).isEmpty, "descriptions with no route")
    }

    @Test("the document is OpenAPI 3.1, every reference resolves, and every protected operation lists its problems")
    func wellFormed() throws {
        let document = Self.document
        #expect(document["openapi"] as? String == "3.1.0")
        let text = try String(contentsOf: Self.documentURL, encoding: .utf8)
        let components = document["components"] as? [String: [String: Any]] ?? [:]
        let references = text.matches(of: /"\$ref": "#\/components\/(\w+)\/(\w+)"/).map { (String($0.1), String($0.2)) }
        #expect(!references.isEmpty)
        for (kind, name) in references {
            #expect(components[kind]?[name] != nil, "\(kind)/\(name) is referenced but not defined")
        }
        let paths = document["paths"] as? [String: [String: [String: Any]]] ?? [:]
        for (path, operations) in paths {
            let parameters = path.matches(of: /\{(\w+)\}/).map { String($0.1) }
            for (method, operation) in operations {
                let responses = operation["responses"] as? [String: Any] ?? [:]
                let open = (operation["security"] as? [Any])?.isEmpty == true
                #expect(open || responses["401"] != nil, "\(method) \(path) does not list 401")
                #expect(
                    open || Self.monitoringPaths.contains(path) || responses["429"] != nil,
                    "\(method) \(path) does not list 429: every route in the api group is limited")
                let declared = (operation["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                for parameter in parameters {
                    #expect(declared.contains(parameter), "\(method) \(path) does not declare {\(parameter)}")
                }
            }
        }
    }

    @Test("every request body refuses members it does not list, as the server does")
    func closedRequestBodies() throws {
        let schemas = (Self.document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]] ?? [:]
        let paths = Self.document["paths"] as? [String: [String: [String: Any]]] ?? [:]
        var bodies = 0
        for (path, operations) in paths {
            for (method, operation) in operations {
                guard let body = operation["requestBody"] as? [String: Any] else { continue }
                let schema = ((body["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"]
                let name = ((schema as? [String: Any])?["$ref"] as? String)?.split(separator: "/").last.map(String.init)
                let resolved = try #require(name.flatMap { schemas[$0] }, "\(method) \(path)")
                #expect(resolved["additionalProperties"] as? Bool == false, "\(method) \(path): \(name ?? "?")")
                bodies += 1
            }
        }
        #expect(bodies >= 12)
    }

    @Test("the server serves the document to anyone", arguments: Engine.available)
    func served(_ engine: Engine) async throws {
        try await withServer(engine) { server in
            let answer = try await server.send("GET", "/openapi.json", key: nil)
            #expect(answer.status == 200)
            let served = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
            #expect(served?["openapi"] as? String == "3.1.0")
            #expect((served?["paths"] as? [String: Any])?.count == (Self.document["paths"] as? [String: Any])?.count)
        }
    }
}
