import ArgumentParser
import ConveyorCore
import ConveyorServer
import Foundation
import Logging
import ServiceLifecycle

/// MetricsOptions give a process without the API a `/metrics` endpoint of its own: workers and
/// monitors record the job events they cause, which the API's `/metrics` never sees.
struct MetricsOptions: ParsableArguments {
    @Option(help: "Serve Prometheus metrics at /metrics on this port (default: METRICS_PORT, else none).")
    var metricsPort: Int?

    @Option(help: "The address the metrics endpoint listens on (default: METRICS_HOST, else 127.0.0.1).")
    var metricsHost: String?

    func validate() throws {
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw ArgumentParser.ValidationError("--metrics-port must be between 0 and 65535 (got \(metricsPort))")
        }
    }

    /// The options, by the settings they stand for: the command reads them first.
    var settings: [String: String?] { ["METRICS_PORT": metricsPort.map(String.init), "METRICS_HOST": metricsHost] }

    /// The endpoint to run beside the process's own services, and what records into it; nil when
    /// no port is set.
    func endpoint(
        _ settings: Settings, logger: Logger
    ) throws(CommandFailure) -> (export: MetricsExport, service: any Service)? {
        let port: Int?
        do {
            port = try settings.integer("METRICS_PORT", in: 0...65535)
        } catch {
            throw CommandFailure(error)
        }
        guard let port else { return nil }
        let host = settings.text("METRICS_HOST") ?? "127.0.0.1"
        let export = MetricsExport.prometheus()
        let application = export.application(host: host, port: port, logger: logger) { bound in
            logger.info("metrics at /metrics", metadata: ["address": "\(host):\(bound)"])
            // Written straight to the descriptor: scripts and tests wait for this line.
            FileHandle.standardOutput.write(Data("metrics on http://\(host):\(bound)/metrics\n".utf8))
        }
        return (export, application)
    }
}
