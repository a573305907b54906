/// MissedTickPolicy says what a schedule makes for the ticks that came while no scheduler ran (a
/// tick is missed when it is more than `Schedule.missedAfter` old by the time a scheduler sees
/// it): `skip` nothing, `once` one job for them all (for the first of them), `all` one per missed
/// tick, the first `Schedule.catchUpLimit`.
public enum MissedTickPolicy: String, Sendable, Hashable, CaseIterable, Codable {
    case skip
    case once
    case all

    /// Reads a policy by name (`missed`); nil is the default, `skip`.
    public init(named name: String?) throws(ValidationError) {
        guard let name else {
            self = .skip
            return
        }
        guard let policy = MissedTickPolicy(rawValue: name) else {
            throw ValidationError(field: "missed", reason: "must be skip, once or all (got \(name.debugDescription))")
        }
        self = policy
    }
}
