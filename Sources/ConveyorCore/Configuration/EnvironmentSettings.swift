/// EnvironmentSettings reads the numeric settings of the environment the same way everywhere: a
/// missing setting is nil, a bad one a `ValidationError` naming it and saying what is allowed.
public struct EnvironmentSettings: Sendable {
    let environment: [String: String]

    public init(_ environment: [String: String]) {
        self.environment = environment
    }

    /// The text of `name`, trimmed; nil when unset.
    public func text(_ name: String) -> String? {
        environment[name]?.trimmingCharacters(in: .whitespaces)
    }

    /// A number within `range`; nil when unset.
    public func number(_ name: String, in range: ClosedRange<Double>) throws(ValidationError) -> Double? {
        guard let text = text(name) else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ValidationError(
                field: name,
                reason:
                    "must be a number from \(JSONValue.text(of: range.lowerBound)) to \(JSONValue.text(of: range.upperBound)) (got \(text.debugDescription))"
            )
        }
        return value
    }

    /// A whole number within `range`; nil when unset.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws(ValidationError) -> Int? {
        guard let text = text(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ValidationError(
                field: name,
                reason:
                    "must be a whole number from \(range.lowerBound) to \(range.upperBound) (got \(text.debugDescription))"
            )
        }
        return value
    }

    /// A number of seconds within `range`, as a duration; nil when unset.
    public func seconds(_ name: String, in range: ClosedRange<Double>) throws(ValidationError) -> Duration? {
        try number(name, in: range).map { .milliseconds(Int64(($0 * 1000).rounded())) }
    }

    /// A threshold that may be turned off: nil when unset, `.some(nil)` for `off`, else a number of
    /// zero or more.
    public func bound(_ name: String) throws(ValidationError) -> Double?? {
        guard let text = text(name) else { return nil }
        if text.lowercased() == "off" { return .some(nil) }
        guard let value = Double(text), value.isFinite, value >= 0 else {
            throw ValidationError(
                field: name, reason: "must be a number of zero or more, or off (got \(text.debugDescription))")
        }
        return .some(value)
    }
}
