public import ConveyorCore
public import Foundation

/// HealthCheck is one reading in a health report, with the health-check draft's fields (its own
/// camelCase names, not Conveyor's snake_case: health+json is a format of its own).
public struct HealthCheck: Sendable, Hashable, Encodable {
    /// What was measured, when there are several of a kind (a queue: `customer/queue`).
    public var componentId: String?
    public var componentType: String?
    public var observedValue: JSONValue
    public var observedUnit: String?
    public var status: HealthStatus
    /// When the reading was taken.
    public var time: Date
    /// Why the check is not passing; absent when it passes.
    public var output: String?
    /// Beyond the draft: since when the maintenance leader has led.
    public var since: Date?

    /// Creates a reading.
    public init(
        componentId: String? = nil, componentType: String? = nil, observedValue: JSONValue,
        observedUnit: String? = nil, status: HealthStatus, time: Date, output: String? = nil, since: Date? = nil
    ) {
        self.componentId = componentId
        self.componentType = componentType
        self.observedValue = observedValue
        self.observedUnit = observedUnit
        self.status = status
        self.time = time
        self.output = output
        self.since = since
    }

    /// A reading of `value` judged by `threshold`; its output says which bound it crossed.
    public static func measured(
        _ value: Double, unit: String, by threshold: HealthThreshold, componentId: String? = nil,
        componentType: String? = nil, at time: Date
    ) -> HealthCheck {
        HealthCheck(
            componentId: componentId, componentType: componentType, observedValue: JSONValue.reading(value),
            observedUnit: unit, status: threshold.status(of: value), time: time,
            output: threshold.explain(value, unit: unit))
    }

    /// A check that could not be taken: the reading is null and the output says why.
    public static func unmeasured(
        _ reason: String, status: HealthStatus, componentType: String? = nil, unit: String, at time: Date
    ) -> HealthCheck {
        HealthCheck(
            componentType: componentType, observedValue: .null, observedUnit: unit, status: status, time: time,
            output: reason)
    }
}
