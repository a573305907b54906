public import Configuration
public import Foundation

/// Settings are a process's configuration, read in one place (swift-configuration's
/// `ConfigReader`): the command's own options first, then the environment, then — at each read —
/// the documented default. A command builds them once and hands each component its typed
/// configuration (`RateLimiter.Configuration(settings:)`, `HealthThresholds(settings:)`…). Each
/// setting is named as its environment variable (`RATE_LIMIT_REQUESTS`, read under the key
/// `rate.limit.requests`), and a bad value is a `ValidationError` naming it and saying what is
/// allowed.
public struct Settings: Sendable {
    let reader: ConfigReader

    /// Settings read through `reader`.
    public init(reader: ConfigReader) {
        self.reader = reader
    }

    /// The settings of this process: `options` (a command's own options, by setting name; nil
    /// when not given) win over `environment`.
    public init(
        options: [String: String?] = [:], environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for case (let name, let value?) in options {
            values[AbsoluteConfigKey(Self.key(name))] = ConfigValue(.string(value), isSecret: false)
        }
        self.init(
            reader: ConfigReader(providers: [
                InMemoryProvider(name: "options", values: values),
                EnvironmentVariablesProvider(
                    environmentVariables: environment,
                    secretsSpecifier: .specific(Set(Self.secrets))),
            ]))
    }

    /// Settings whose values are secrets: never shown in an access log, never handed to a program
    /// a worker runs (unless passed on purpose).
    public static let secrets = ["CONVEYOR_ADMIN_KEY", "DATABASE_URL", "SLACK_WEBHOOK_URL"]

    /// The configuration key of a setting: `RATE_LIMIT_REQUESTS` is `rate.limit.requests`, which the
    /// environment provider maps back to the same variable.
    static func key(_ name: String) -> ConfigKey {
        ConfigKey(name.lowercased().split(separator: "_").map(String.init))
    }

    /// The text of `name`, trimmed; nil when unset.
    public func text(_ name: String) -> String? {
        reader.string(forKey: Self.key(name), isSecret: Self.secrets.contains(name))?.trimmingCharacters(
            in: .whitespaces)
    }

    /// A number within `range`; nil when unset.
    public func number(_ name: String, in range: ClosedRange<Double>) throws(ValidationError) -> Double? {
        try parsed(name, in: range, as: "a number", shown: JSONValue.text(of:)) {
            Double($0).flatMap { $0.isFinite ? $0 : nil }
        }
    }

    /// A whole number within `range`; nil when unset.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws(ValidationError) -> Int? {
        try parsed(name, in: range, as: "a whole number", shown: String.init) { Int($0) }
    }

    /// The value of `name` read by `parse` and checked against `range`; one sentence naming the
    /// setting, what it must be and what it was, when it is not.
    private func parsed<Value: Comparable>(
        _ name: String, in range: ClosedRange<Value>, as kind: String, shown: (Value) -> String,
        _ parse: (String) -> Value?
    ) throws(ValidationError) -> Value? {
        guard let text = text(name) else { return nil }
        guard let value = parse(text), range.contains(value) else {
            throw ValidationError(
                field: name,
                reason:
                    "must be \(kind) from \(shown(range.lowerBound)) to \(shown(range.upperBound)) (got \(text.debugDescription))"
            )
        }
        return value
    }

    /// A setting that is `on` or `off` (also `true`/`false`, `1`/`0`); nil when unset.
    public func flag(_ name: String) throws(ValidationError) -> Bool? {
        guard let text = text(name) else { return nil }
        switch text.lowercased() {
        case "on", "true", "1": return true
        case "off", "false", "0": return false
        default: throw ValidationError(field: name, reason: "must be on or off (got \(text.debugDescription))")
        }
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
