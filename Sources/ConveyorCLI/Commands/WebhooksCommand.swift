import ArgumentParser
import ConveyorCore
import ConveyorWebhooks
import Foundation

/// `conveyor webhooks`: customers' webhook endpoints, as the operator manages them on the database
/// (the same rules as the API: `WEBHOOK_ALLOW_PRIVATE_NETWORKS` decides what a URL may reach).
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Create, list, change, delete webhook endpoints and rotate their secrets.",
        subcommands: [Create.self, List.self, Update.self, Delete.self, RotateSecret.self, Attempts.self])

    /// The URL rules of this process's settings.
    static func policy() throws(CommandFailure) -> WebhookURLPolicy {
        do {
            return try WebhookURLPolicy(settings: Settings())
        } catch {
            throw CommandFailure(error)
        }
    }

    static func show(_ endpoint: WebhookEndpoint) -> String {
        let events = endpoint.events.isEmpty ? "*" : endpoint.events.map(\.rawValue).joined(separator: ",")
        let state = endpoint.disabledReason.map { "disabled: \($0)" } ?? "enabled"
        return
            "\(endpoint.id) \(endpoint.customer) \(endpoint.url) events=\(events) queue=\(endpoint.queue ?? "*") \(state)"
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an endpoint and print its signing secret, once.")

        @Option(help: "The customer whose jobs' events are delivered.")
        var customer: String

        @Option(help: "The https:// URL deliveries are POSTed to.")
        var url: String

        @Option(name: .customLong("event"), help: "An event kind to deliver (repeat for several; default: all).")
        var events: [String] = []

        @Option(help: "Only this queue's jobs' events.")
        var queue: String?

        @Option(help: "What the endpoint is for.")
        var description: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let policy = try WebhooksCommand.policy()
            let draft = try await failing {
                let draft = try WebhookEndpointDraft(
                    customer: customer, url: url, events: events.isEmpty ? nil : events, queue: queue,
                    description: description, policy: policy)
                _ = try await policy.checkResolving(draft.url)
                return draft
            }
            let store = try await database.open(mustExist: true)
            let endpoint = try await failing { try await store.createWebhook(draft, secret: WebhookSecret.generate()) }
            print(WebhooksCommand.show(endpoint))
            print("signing secret (shown once, keep it): \(endpoint.secret)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List endpoints (never their secrets).")

        @Option(help: "Only this customer's endpoints.")
        var customer: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let endpoints = try await failing { try await store.webhooks(customer: customer) }
            for endpoint in endpoints { print(WebhooksCommand.show(endpoint)) }
            if endpoints.isEmpty { print("(no webhook endpoints)") }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an endpoint; what is not given is kept.")

        @Argument(help: "The endpoint's id (wh_…).")
        var id: String

        @Option(help: "A new URL.")
        var url: String?

        @Option(name: .customLong("event"), help: "The event kinds to deliver, replacing the old (repeat; * for all).")
        var events: [String] = []

        @Option(help: "Only this queue's jobs' events ('*' for every queue).")
        var queue: String?

        @Option(help: "A new description.")
        var description: String?

        @Flag(help: "Enable it (a disabled endpoint), ending its failing streak.")
        var enable = false

        @Flag(help: "Disable it: nothing is sent to it until it is enabled.")
        var disable = false

        func validate() throws {
            if enable && disable { throw ValidationError("give --enable or --disable, not both") }
        }

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let policy = try WebhooksCommand.policy()
            let change = try await failing {
                let change = try WebhookEndpointChange(
                    url: url, events: events.isEmpty ? nil : events,
                    queue: queue.map { name -> String? in name == "*" ? nil : name }, description: description,
                    enabled: enable ? true : disable ? false : nil, policy: policy)
                if let url = change.url { _ = try await policy.checkResolving(url) }
                return change
            }
            let store = try await database.open(mustExist: true)
            let endpoint = try await failing { try await store.updateWebhook(id: id, customer: nil, change) }
            print(WebhooksCommand.show(endpoint))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an endpoint and its log of attempts.")

        @Argument(help: "The endpoint's id (wh_…).")
        var id: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            try await failing { try await store.deleteWebhook(id: id, customer: nil) }
            print("deleted webhook endpoint \(id)")
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Give an endpoint a new signing secret, printed once; the old one signs too for 24 hours.")

        @Argument(help: "The endpoint's id (wh_…).")
        var id: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let endpoint = try await failing {
                try await store.rotateWebhookSecret(id: id, customer: nil, to: WebhookSecret.generate())
            }
            print("signing secret (shown once, keep it): \(endpoint.secret)")
            if let expiry = endpoint.previousSecretExpiresAt {
                print("the previous secret signs too until \(expiry.formatted(Date.ISO8601FormatStyle()))")
            }
        }
    }

    struct Attempts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An endpoint's recent delivery attempts, newest first.")

        @Argument(help: "The endpoint's id (wh_…).")
        var id: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open(mustExist: true)
            let attempts = try await failing {
                try await store.webhookAttempts(endpointID: id, customer: nil, limit: 100)
            }
            let rows = attempts.map { attempt in
                [
                    attempt.at.formatted(Date.ISO8601FormatStyle()), attempt.event, attempt.messageID,
                    attempt.statusCode.map(String.init) ?? "-", "\(attempt.latencyMilliseconds) ms",
                    attempt.error ?? "",
                ]
            }
            print(JobPrinter.aligned([["AT", "EVENT", "WEBHOOK-ID", "STATUS", "LATENCY", "ERROR"]] + rows))
            if attempts.isEmpty { print("(no attempts yet)") }
        }
    }
}
