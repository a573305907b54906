public import AsyncHTTPClient
public import ConveyorCore
import Foundation
import NIOCore
import NIOHTTP1

/// WebhookSender makes one attempt at a delivery: checks the endpoint's URL and every address its
/// host resolves to now (DNS can change after registration), signs the body for the secrets in
/// force, `POST`s it, reads at most 64 KiB of the answer and drops it. It never throws: what
/// happened is the attempt it returns.
public struct WebhookSender: Sendable {
    let http: HTTPClient
    let policy: WebhookURLPolicy
    let resolver: HostResolver
    let clock: any WallClock
    /// How long an answer may take once connected (the connect timeout is `OutboundHTTP`'s).
    let answerTimeout: Duration

    /// The most of an answer read; the rest is not waited for.
    public static let answerLimit = 64 * 1024

    public init(
        http: HTTPClient, policy: WebhookURLPolicy, resolver: HostResolver = HostResolver(),
        clock: any WallClock = SystemClock(), answerTimeout: Duration = .seconds(15)
    ) {
        self.http = http
        self.policy = policy
        self.resolver = resolver
        self.clock = clock
        self.answerTimeout = answerTimeout
    }

    /// Attempt `job.attempt` of `delivery` to `endpoint`.
    public func send(_ delivery: WebhookDelivery, to endpoint: WebhookEndpoint, job: Job) async -> WebhookAttempt {
        let now = clock.now()
        let started = ContinuousClock.now
        func attempt(status: Int?, error: String?) -> WebhookAttempt {
            WebhookAttempt(
                endpointID: endpoint.id, jobID: job.id, messageID: delivery.messageID, event: delivery.event,
                attempt: job.attempt, at: now.truncatedToMilliseconds, statusCode: status,
                latencyMilliseconds: Int((ContinuousClock.now - started) / .milliseconds(1)), error: error)
        }
        do {
            _ = try await policy.checkResolving(endpoint.url, resolver: resolver)
        } catch let refused as ValidationError {
            return attempt(status: nil, error: "not sent: the URL \(refused.reason)")
        } catch {
            return attempt(status: nil, error: "not sent: \(error)")
        }
        let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
        let body = Data(delivery.body.utf8)
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Conveyor-Webhooks/1")
        request.headers.add(name: "webhook-id", value: delivery.messageID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(
            name: "webhook-signature",
            value: WebhookSignature.header(
                id: delivery.messageID, timestamp: timestamp, body: body, secrets: endpoint.signingSecrets(at: now)))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            // The deadline covers the answer's body too: AsyncHTTPClient's bounds only its head, and
            // an endpoint that trickles its body must not hold a delivery slot.
            let (http, request) = (self.http, request)
            let status = try await withDeadline(answerTimeout + .seconds(5)) { () -> HTTPResponseStatus in
                let response = try await http.execute(request, deadline: .distantFuture)
                var read = 0
                for try await chunk in response.body {
                    read += chunk.readableBytes
                    if read >= Self.answerLimit { break }
                }
                return response.status
            }
            let code = Int(status.code)
            return attempt(status: code, error: (200..<300).contains(code) ? nil : "answered \(status)")
        } catch is DeadlineExceeded {
            return attempt(status: nil, error: "no answer within \(Int(answerTimeout / .seconds(1))) s")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return attempt(status: nil, error: "no answer within \(Int(answerTimeout / .seconds(1))) s")
        } catch let error as HTTPClientError where error == .connectTimeout {
            return attempt(status: nil, error: "could not connect within 5 s")
        } catch {
            return attempt(status: nil, error: "the request failed: \(error)")
        }
    }
}
