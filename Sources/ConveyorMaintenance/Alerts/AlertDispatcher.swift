public import AsyncHTTPClient
public import ConveyorCore
public import Foundation
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization

/// AlertDispatcher delivers notifications without ever making a monitor wait: `send` logs the
/// notification and queues it; the dispatcher, a service, posts each to the Slack webhook in turn.
/// A 429 or 5xx is retried — after the `Retry-After` it names, else with doubling backoff — up to
/// `maxAttempts`, as is a receiver that cannot be reached; any other answer that is not 2xx is
/// given up at once. Each outcome is logged and counted (`conveyor_alerts_sent_total` /
/// `_failed_total`). Without a webhook, the log is the only destination. Posts go through the
/// process's one HTTP client (`OutboundHTTP` in `conveyor serve`, `work` and `monitor`), never
/// following a redirect.
public final class AlertDispatcher: Service, Sendable {
    public struct Configuration: Sendable {
        /// The Slack incoming webhook; nil: alerts go to the log only.
        public var webhook: URL?
        public var maxAttempts = 5
        /// The wait before the first retry; it doubles, up to `maxBackoff`.
        public var backoff = Duration.seconds(1)
        public var maxBackoff = Duration.seconds(60)
        /// The longest `Retry-After` honoured.
        public var maxRetryAfter = Duration.seconds(300)
        public var requestTimeout = Duration.seconds(10)
        /// Notifications waiting beyond this many are dropped (oldest first), with a log line.
        public var buffer = 1000

        public init(webhook: URL? = nil) {
            self.webhook = webhook
        }

        /// Reads `SLACK_WEBHOOK_URL` (an http or https URL).
        public init(settings: Settings) throws(ValidationError) {
            guard let text = settings.text("SLACK_WEBHOOK_URL"), !text.isEmpty
            else {
                self.init()
                return
            }
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased()), url.host != nil
            else {
                throw ValidationError(field: "SLACK_WEBHOOK_URL", reason: "must be an http or https URL")
            }
            self.init(webhook: url)
        }
    }

    public let configuration: Configuration
    let metrics: ConveyorMetrics
    let logger: Logger
    let http: HTTPClient
    private let stream: AsyncStream<AlertNotification>
    private let continuation: AsyncStream<AlertNotification>.Continuation
    private let stopping = Atomic(false)

    /// A dispatcher posting through `http` (by default AsyncHTTPClient's shared client, for tools
    /// and tests; processes pass their own, which they shut down).
    public init(
        configuration: Configuration, http: HTTPClient = .shared, metrics: ConveyorMetrics = ConveyorMetrics(),
        logger: Logger
    ) {
        self.configuration = configuration
        self.http = http
        self.metrics = metrics
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(configuration.buffer))
    }

    /// Logs `notification` and queues it for delivery; returns at once.
    public func send(_ notification: AlertNotification) {
        let alert = notification.alert
        var metadata: Logger.Metadata = [
            "rule": .string(alert.rule.rawValue), "alert_key": .string(alert.key),
            "observed": .stringConvertible(alert.observed), "threshold": .stringConvertible(alert.threshold),
        ]
        if let customer = alert.customer { metadata["customer"] = .string(customer) }
        if let queue = alert.queue { metadata["queue"] = .string(queue) }
        switch notification {
        case .firing: logger.warning("alert: \(alert.summary)", metadata: metadata)
        case .resolved: logger.notice("alert resolved: \(alert.rule.rawValue) in \(alert.scope)", metadata: metadata)
        }
        guard configuration.webhook != nil else { return }
        if case .dropped = continuation.yield(notification) {
            logger.error("alert queue full: the oldest waiting alert was dropped", metadata: metadata)
        }
    }

    public func run() async throws {
        let continuation = self.continuation
        await withGracefulShutdownHandler {
            for await notification in stream { await deliver(notification) }
        } onGracefulShutdown: {
            // What is queued is still sent, once each, without waiting out retries.
            self.stopping.store(true, ordering: .relaxed)
            continuation.finish()
        }
    }

    /// Posts one notification until it is delivered or given up.
    func deliver(_ notification: AlertNotification) async {
        guard let webhook = configuration.webhook else { return }
        let rule = notification.alert.rule.rawValue
        var request = HTTPClientRequest(url: webhook.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: SlackMessage.payload(for: notification)))
        let timeout = TimeAmount.milliseconds(Int64(configuration.requestTimeout.timeInterval * 1000))
        var wait = configuration.backoff
        for attempt in 1...configuration.maxAttempts {
            let retryAfter: Duration?
            let reason: String
            do {
                let response = try await http.execute(request, timeout: timeout)
                // Slack's answer is a word ("ok"); read a little, never all of a stranger's.
                _ = try? await response.body.collect(upTo: 64 * 1024)
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    metrics.alert(rule: rule, delivered: true)
                    logger.debug("alert delivered", metadata: ["rule": .string(rule), "attempt": "\(attempt)"])
                    return
                }
                guard status == 429 || (500..<600).contains(status) else {
                    giveUp(rule, "Slack refused the alert with HTTP \(status); not retried")
                    return
                }
                retryAfter = response.headers.first(name: "Retry-After")
                    .flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map { Duration.seconds(max(0, $0)) }
                reason = "HTTP \(status)"
            } catch {
                retryAfter = nil
                reason = Self.describe(error)
            }
            guard attempt < configuration.maxAttempts, !stopping.load(ordering: .relaxed) else {
                giveUp(rule, "the alert could not be delivered after \(attempt) attempts (last: \(reason))")
                return
            }
            let pause = min(retryAfter ?? wait, configuration.maxRetryAfter)
            logger.notice(
                "alert delivery failed; retrying",
                metadata: ["rule": .string(rule), "reason": .string(reason), "retry_in_s": "\(pause.timeInterval)"])
            try? await Task.sleep(for: pause)
            wait = min(wait * 2, configuration.maxBackoff)
        }
    }

    /// Why a delivery could not be made, without the webhook's URL — Slack's incoming-webhook URL
    /// is itself the secret —: the client's error kind (a timeout, a refused connection), never
    /// an error's own text, which may quote the URL.
    static func describe(_ error: any Error) -> String {
        if let failure = error as? HTTPClientError {
            for (known, name) in [
                (HTTPClientError.connectTimeout, "connect timeout"), (.deadlineExceeded, "timeout"),
                (.readTimeout, "read timeout"), (.remoteConnectionClosed, "connection closed"),
            ] where failure == known {
                return "could not reach the webhook (\(name))"
            }
        }
        return "could not reach the webhook (\(type(of: error)))"
    }

    private func giveUp(_ rule: String, _ why: String) {
        metrics.alert(rule: rule, delivered: false)
        logger.error("alert given up: \(why)", metadata: ["rule": .string(rule)])
    }
}
