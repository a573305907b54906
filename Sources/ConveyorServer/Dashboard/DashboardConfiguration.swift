public import ConveyorCore

/// DashboardConfiguration is how `conveyor serve`'s dashboard behaves, read once from the settings.
public struct DashboardConfiguration: Sendable {
    /// Every session sees and changes nothing (`DASHBOARD_READ_ONLY=on`).
    public var readOnly: Bool
    /// How long a sign-in lasts (`DASHBOARD_SESSION_HOURS`, default 12).
    public var sessionLifetime: Duration
    /// Whether the session cookie is marked `Secure` (`DASHBOARD_SECURE_COOKIE`). Conveyor speaks
    /// plain HTTP; behind a proxy that ends TLS, the cookie is marked `Secure` when the proxy says
    /// the request came over HTTPS (`X-Forwarded-Proto`, trusted proxies only) or when this is on.
    public var secureCookie: Bool
    /// How often open pages refresh their counts and charts.
    public var refreshInterval: Duration

    /// Creates a configuration; every argument defaults to the documented default.
    public init(
        readOnly: Bool = false, sessionLifetime: Duration = .seconds(12 * 3600), secureCookie: Bool = false,
        refreshInterval: Duration = .seconds(2)
    ) {
        self.readOnly = readOnly
        self.sessionLifetime = sessionLifetime
        self.secureCookie = secureCookie
        self.refreshInterval = refreshInterval
    }

    /// The configuration the settings give; what they leave out keeps its default.
    public init(settings: Settings) throws(ValidationError) {
        self.init()
        readOnly = try settings.flag("DASHBOARD_READ_ONLY") ?? false
        secureCookie = try settings.flag("DASHBOARD_SECURE_COOKIE") ?? false
        if let hours = try settings.number("DASHBOARD_SESSION_HOURS", in: 0.01...720) {
            sessionLifetime = .milliseconds(Int64(hours * 3_600_000))
        }
    }
}
