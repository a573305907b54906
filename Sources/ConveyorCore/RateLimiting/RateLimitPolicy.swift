/// RateLimitPolicy is a quota of requests per sliding window: at most `requests` accepted requests
/// in any `windowSeconds`-second stretch. The global default applies to every key; a customer may
/// have one of its own.
public struct RateLimitPolicy: Sendable, Hashable, Codable {
    /// Requests allowed in any window (the `q` of `RateLimit-Policy`).
    public let requests: Int
    /// The window in whole seconds (the `w` of `RateLimit-Policy`).
    public let windowSeconds: Int

    /// 100 requests per 60 seconds, as in the original backend.
    public static let `default` = RateLimitPolicy(checkedRequests: 100, windowSeconds: 60)
    /// The default of each customer's worker quota (its claims): 6,000 per minute, a hundred claims
    /// a second, each of up to 1,000 jobs.
    public static let defaultForWorkers = RateLimitPolicy(checkedRequests: 6_000, windowSeconds: 60)

    /// The largest quota. A decision costs the same whatever the quota (`SlidingWindowLog`); a
    /// key's state is a count per millisecond with accepted requests in its window, so at most
    /// the smaller of the quota and the window's milliseconds.
    public static let maximumRequests = 1_000_000
    /// The longest window: one day.
    public static let maximumWindowSeconds = 86_400

    /// Checks and makes a policy.
    public init(requests: Int, windowSeconds: Int) throws(ValidationError) {
        guard (1...Self.maximumRequests).contains(requests) else {
            throw ValidationError(
                field: "requests", reason: "must be a whole number from 1 to \(Self.maximumRequests) (got \(requests))")
        }
        guard (1...Self.maximumWindowSeconds).contains(windowSeconds) else {
            throw ValidationError(
                field: "window_seconds",
                reason:
                    "must be a whole number of seconds from 1 to \(Self.maximumWindowSeconds) (got \(windowSeconds))"
            )
        }
        self.init(checkedRequests: requests, windowSeconds: windowSeconds)
    }

    private init(checkedRequests: Int, windowSeconds: Int) {
        self.requests = checkedRequests
        self.windowSeconds = windowSeconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            requests: container.decode(Int.self, forKey: .requests),
            windowSeconds: container.decode(Int.self, forKey: .windowSeconds))
    }

    /// The window in milliseconds, the unit the stores keep request times in.
    public var windowMilliseconds: Int64 { Int64(windowSeconds) * 1000 }

    enum CodingKeys: String, CodingKey {
        case requests
        case windowSeconds = "window_seconds"
    }
}

extension RateLimitPolicy {
    /// A policy as a store keeps it (two nullable columns): nil when none is set, or when the
    /// stored values are outside what `init(requests:windowSeconds:)` accepts.
    public static func stored(requests: Int64?, windowSeconds: Int64?) -> RateLimitPolicy? {
        guard let requests, let windowSeconds else { return nil }
        return try? RateLimitPolicy(requests: Int(requests), windowSeconds: Int(windowSeconds))
    }
}
