public import ConveyorCore
public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// AlertDispatcher delivers notifications without ever making a monitor wait: `send` logs the
/// notification and queues it; the dispatcher, a service, posts each to the Slack webhook in turn.
/// A 429 or 5xx is retried — after the `Retry-After` it names, else with doubling backoff — up to
/// `maxAttempts`, as is a receiver that cannot be reached; any other answer that is not 2xx is
/// given up at once. Each outcome is logged and counted (`conveyor_alerts_sent_total` /
/// `_failed_total`). Without a webhook, the log is the only destination.
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
    private let stream: AsyncStream<AlertNotification>
    private let continuation: AsyncStream<AlertNotification>.Continuation
    private let stopping = Atomic(false)

    public init(configuration: Configuration, metrics: ConveyorMetrics = ConveyorMetrics(), logger: Logger) {
        self.configuration = configuration
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
        var request = URLRequest(url: webhook, timeoutInterval: configuration.requestTimeout.timeInterval)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = SlackMessage.payload(for: notification)
        var wait = configuration.backoff
        for attempt in 1...configuration.maxAttempts {
            let retryAfter: Duration?
            let reason: String
            do {
                let (_, response) = try await URLSession.shared.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) {
                    metrics.alert(rule: rule, delivered: true)
                    logger.debug("alert delivered", metadata: ["rule": .string(rule), "attempt": "\(attempt)"])
                    return
                }
                guard status == 429 || (500..<600).contains(status) else {
                    giveUp(rule, "Slack refused the alert with HTTP \(status); not retried")
                    return
                }
                retryAfter = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After")
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

    /// Why a delivery could not be made, without the webhook's URL: Foundation's errors carry the
    /// URL they failed on, and Slack's incoming-webhook URL is itself the secret.
    static func describe(_ error: any Error) -> String {
        if let failure = error as? URLError { return "could not reach the webhook (URLError \(failure.code.rawValue))" }
        return "could not reach the webhook (\(type(of: error)))"
    }

    private func giveUp(_ rule: String, _ why: String) {
        metrics.alert(rule: rule, delivered: false)
        logger.error("alert given up: \(why)", metadata: ["rule": .string(rule)])
    }
}
