import ConveyorCore

/// HealthThreshold turns a measurement into a status: `warn` from `warnAt`, `fail` from `failAt`
/// (each optional: absent means that status is never reached). For measurements where more is
/// worse (latency, stale jobs, queue depth) the bounds are minimums of the bad range; with
/// `lowerIsWorse` (live workers) they are maximums.
public struct HealthThreshold: Sendable, Hashable {
    public var warnAt: Double?
    public var failAt: Double?
    public var lowerIsWorse: Bool

    /// A threshold where larger values are worse.
    public static func above(warn: Double?, fail: Double?) -> HealthThreshold {
        HealthThreshold(warnAt: warn, failAt: fail, lowerIsWorse: false)
    }

    /// A threshold where smaller values are worse: `warn` when the value is below `warn`.
    public static func below(warn: Double?, fail: Double?) -> HealthThreshold {
        HealthThreshold(warnAt: warn, failAt: fail, lowerIsWorse: true)
    }

    /// The status of `value`.
    public func status(of value: Double) -> HealthStatus {
        func reached(_ bound: Double?) -> Bool {
            guard let bound else { return false }
            return lowerIsWorse ? value < bound : value >= bound
        }
        if reached(failAt) { return .fail }
        if reached(warnAt) { return .warn }
        return .pass
    }

    /// Says which bound `value` crossed, for a check's `output`.
    public func explain(_ value: Double, unit: String) -> String? {
        let status = status(of: value)
        guard status != .pass, let bound = status == .fail ? failAt : warnAt else { return nil }
        let shown = JSONValue.text(of: value)
        return lowerIsWorse
            ? "\(shown) \(unit), below the \(status.rawValue) threshold of \(JSONValue.text(of: bound))"
            : "\(shown) \(unit), at or above the \(status.rawValue) threshold of \(JSONValue.text(of: bound))"
    }
}
