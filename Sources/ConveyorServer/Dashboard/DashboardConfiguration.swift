public import ConveyorCore

/// DashboardConfiguration is how `conveyor serve`'s dashboard behaves, read once from the settings.
public struct DashboardConfiguration: Sendable {
    /// Every session sees and changes nothing (`DASHBOARD_READ_ONLY=on`).
    public var readOnly: Bool
    /// How long a sign-in lasts at most (`DASHBOARD_SESSION_HOURS`, default 12).
    public var sessionLifetime: Duration
    /// How long a session may go unused (`DASHBOARD_IDLE_MINUTES`, default 60).
    public var sessionIdleTimeout: Duration
    /// Whether the session cookie is always marked `Secure` and `__Host-` prefixed
    /// (`DASHBOARD_SECURE_COOKIE`; `serve` sets it when it speaks HTTPS itself). Otherwise it is
    /// so for a request that a trusted proxy says came over HTTPS (`X-Forwarded-Proto: https`).
    public var secureCookie: Bool
    /// How often open pages refresh their counts and charts.
    public var refreshInterval: Duration
    /// Where webhook endpoints registered on the dashboard may point (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`).
    public var webhooks = WebhookURLPolicy()

    /// Creates a configuration; every argument defaults to the documented default.
    public init(
        readOnly: Bool = false, sessionLifetime: Duration = SessionPolicy().lifetime,
        sessionIdleTimeout: Duration = SessionPolicy().idleTimeout, secureCookie: Bool = false,
        refreshInterval: Duration = .seconds(2)
    ) {
        self.readOnly = readOnly
        self.sessionLifetime = sessionLifetime
        self.sessionIdleTimeout = sessionIdleTimeout
        self.secureCookie = secureCookie
        self.refreshInterval = refreshInterval
    }

    /// The configuration the settings give; what they leave out keeps its default.
    public init(settings: Settings) throws(ValidationError) {
        self.init()
        readOnly = try settings.flag("DASHBOARD_READ_ONLY") ?? false
        secureCookie = try settings.flag("DASHBOARD_SECURE_COOKIE") ?? false
        webhooks = try WebhookURLPolicy(settings: settings)
        if let hours = try settings.number("DASHBOARD_SESSION_HOURS", in: 0.01...720) {
            sessionLifetime = .milliseconds(Int64(hours * 3_600_000))
        }
        if let minutes = try settings.number("DASHBOARD_IDLE_MINUTES", in: 1...43_200) {
            sessionIdleTimeout = .milliseconds(Int64(minutes * 60_000))
        }
    }

    /// The sessions' policy: these lifetimes, at most 20 sessions a key.
    public var sessionPolicy: SessionPolicy {
        SessionPolicy(lifetime: sessionLifetime, idleTimeout: sessionIdleTimeout)
    }
}
