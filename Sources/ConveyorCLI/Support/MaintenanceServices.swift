import AsyncHTTPClient
import ConveyorCore
import ConveyorMaintenance
import Logging
import ServiceLifecycle

/// MaintenanceServices are the cluster-wide maintenance roles that every long-running `conveyor`
/// process (`serve`, `work`) campaigns for by default, as River's clients do: the stale-job
/// rescuer, the scheduler (customers' recurring jobs), and the dead-letter side (`DeadLetterServices`: monitor, alerts, retention). Each role
/// has one elected leader; the other processes wait their turn. So a deployment of workers alone
/// still rescues the jobs of a worker that died (without it, with only `conveyor work` processes,
/// jobs whose completion a dropped connection lost stayed `running` for good). `MAINTENANCE=off`
/// (or `work --no-maintenance`) opts a process out.
struct MaintenanceServices {
    let enabled: Bool
    let stale: (interval: Duration, grace: Duration)
    let deadLetters: DeadLetterServices

    /// Reads MAINTENANCE, STALE_* and the dead-letter settings; `optedOut` is a command's own flag.
    init(settings: Settings, optedOut: Bool = false) throws(CommandFailure) {
        switch settings.text("MAINTENANCE")?.lowercased() {
        case nil, "on": enabled = !optedOut
        case "off": enabled = false
        case let other?: throw CommandFailure("MAINTENANCE must be on or off (got \(other.debugDescription))")
        }
        do {
            stale = try StaleJobRescuer.settings(settings: settings)
        } catch {
            throw CommandFailure(error)
        }
        deadLetters = try DeadLetterServices(settings: settings)
    }

    /// The services to run, in start order (a group stops them in reverse): none when opted out.
    func services(store: any JobStore, metrics: ConveyorMetrics, http: HTTPClient, logger: Logger) -> [any Service] {
        guard enabled else { return [] }
        return deadLetters.services(store: store, metrics: metrics, http: http, logger: logger) + [
            StaleJobRescuer(store: store, interval: stale.interval, grace: stale.grace, logger: logger),
            Scheduler(store: store, logger: logger),
        ]
    }
}
