import ConveyorCore
import Testing

@Suite("Input validation")
struct ValidationTests {
    @Test("valid names pass", arguments: ["a", "acme", "acme-corp_2", String(repeating: "x", count: 64)])
    func validQueueAndCustomer(_ name: String) throws {
        #expect(try NameRules.queue(name) == name)
        #expect(try NameRules.customer(name) == name)
    }

    @Test(
        "invalid queue and customer names are refused",
        arguments: ["", "Acme", "-lead", "sp ace", "a/b", "é", String(repeating: "x", count: 65)])
    func invalidQueue(_ name: String) {
        #expect(throws: ValidationError.self) { try NameRules.queue(name) }
        #expect(throws: ValidationError.self) { try NameRules.customer(name) }
    }

    @Test("job types allow dotted and namespaced names")
    func types() throws {
        for name in ["email.send", "Billing::Invoice", "a-b_c"] { #expect(try NameRules.type(name) == name) }
        for name in ["", "1st", ".x", "a b", String(repeating: "x", count: 129)] {
            #expect(throws: ValidationError.self) { try NameRules.type(name) }
        }
    }

    @Test("a payload larger than the limit is refused as too large")
    func payloadTooLarge() {
        let big = "\"" + String(repeating: "x", count: 256 * 1024) + "\""
        do {
            _ = try JobPayload(json: big)
            Issue.record("accepted an oversized payload")
        } catch {
            #expect(error.status == .tooLarge)
            #expect(error.field == "payload")
        }
        #expect(throws: ValidationError.self) { try JobPayload(json: "[1,2]", limitBytes: 4) }
        #expect(throws: Never.self) { try JobPayload(json: "[1,2]", limitBytes: 5) }
    }

    @Test(
        "invalid JSON is refused",
        arguments: [
            "", "{", "{'a':1}", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "1e", "\"\\x\"", "\"tab\there\"", "[1]x",
            "nope", String(repeating: "[", count: 129) + String(repeating: "]", count: 129),
        ])
    func invalidJSON(_ text: String) {
        do {
            _ = try JobPayload(json: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.field.hasPrefix("payload"))
            #expect(error.reason.hasPrefix("is not valid JSON: ") || error.reason.hasPrefix("nests more than 128"))
        }
    }

    @Test(
        "any JSON document is a payload",
        arguments: [
            "{}", "[]", "42", "-0.5e+10", "\"t\\u00e9xt\\n\"", "null", "{\"a\" : [1, {\"b\":true}, false]}",
            String(repeating: "[", count: 128) + String(repeating: "]", count: 128),
        ])
    func validJSON(_ text: String) throws {
        #expect(try JobPayload(json: text).text == text)
    }

    @Test("negative delays, bad attempts and priorities are refused naming the field")
    func numbers() {
        func field(_ make: () throws -> NewJob) -> String? {
            do { _ = try make(); return nil } catch { return (error as? ValidationError)?.field ?? "\(error)" }
        }
        #expect(
            field { try NewJob(customer: "a", queue: "q", type: "t", payloadJSON: "{}", start: .after(.seconds(-1))) }
                == "delay_seconds")
        #expect(
            field { try NewJob(customer: "a", queue: "q", type: "t", payloadJSON: "{}", maxAttempts: 0) }
                == "max_attempts")
        #expect(
            field { try NewJob(customer: "a", queue: "q", type: "t", payloadJSON: "{}", maxAttempts: 101) }
                == "max_attempts")
        #expect(
            field { try NewJob(customer: "a", queue: "q", type: "t", payloadJSON: "{}", priority: 10) } == "priority")
        #expect(
            field { try NewJob(customer: "a", queue: "q", type: "t", payloadJSON: "{}", idempotencyKey: "has space") }
                == "idempotency_key")
        #expect(
            field { try NewJob(customer: "a", queue: "q", type: "t", payloadJSON: "{}", priority: 9, maxAttempts: 100) }
                == nil)
    }

    @Test("queries refuse page sizes out of range and cursors they did not hand out")
    func queries() {
        #expect(throws: ValidationError.self) { try JobQuery(limit: 0) }
        #expect(throws: ValidationError.self) { try JobQuery(limit: 1001) }
        #expect(throws: ValidationError.self) { try JobQuery(cursor: "page-2") }
        #expect(throws: ValidationError.self) { try ClaimRequest(queues: []) }
        #expect(throws: ValidationError.self) { try ClaimRequest(queues: ["q"], lease: .milliseconds(10)) }
    }

    @Test("error messages are truncated on a character boundary")
    func truncation() {
        let error = AttemptError(
            attempt: 1, at: .now, message: String(repeating: "é", count: 2000), limits: JobLimits(errorMessageBytes: 11)
        )
        #expect(error.message == "éééé…")
        #expect(error.message.utf8.count <= 11)
    }
}

@Suite("Database locations")
struct DatabaseLocationTests {
    @Test("the option wins over DATABASE_URL, which wins over the default")
    func precedence() throws {
        #expect(
            try DatabaseLocation(option: nil, settings: Settings(environment: [:]))
                == .sqlite(path: "./conveyor.sqlite"))
        #expect(
            try DatabaseLocation(option: nil, settings: Settings(environment: ["DATABASE_URL": "/data/q.sqlite"]))
                == .sqlite(path: "/data/q.sqlite"))
        #expect(
            try DatabaseLocation(
                option: "x.sqlite", settings: Settings(environment: ["DATABASE_URL": "postgres://h/db"]))
                == .sqlite(path: "x.sqlite"))
        #expect(
            try DatabaseLocation(option: nil, settings: Settings(environment: ["DATABASE_URL": "postgresql://h/db"]))
                == .postgres(url: "postgresql://h/db"))
        #expect(
            try DatabaseLocation(option: "sqlite:///tmp/a.sqlite", settings: Settings(environment: [:]))
                == .sqlite(path: "/tmp/a.sqlite"))
        #expect(throws: ValidationError.self) {
            try DatabaseLocation(option: "mysql://h/db", settings: Settings(environment: [:]))
        }
        #expect(throws: ValidationError.self) {
            try DatabaseLocation(option: nil, settings: Settings(environment: ["DATABASE_URL": ""]))
        }
    }

    @Test(
        "passwords never show",
        arguments: [
            ("postgres://app:secret@db:5432/jobs", "postgres://app:***@db:5432/jobs"),
            ("postgres://app@db/jobs", "postgres://app@db/jobs"),
            ("postgres://db/jobs?user=a", "postgres://db/jobs?user=a"),
            ("postgres://app:p@ss:w@rd@db/jobs", "postgres://app:***@db/jobs"),
        ])
    func redaction(_ url: String, _ shown: String) {
        #expect(DatabaseLocation.postgres(url: url).description == shown)
    }
}
