import ConveyorCore
import Foundation
import Hummingbird

/// HealthRoutes are the probes: `/api/health` (the health-check draft's report: details for an
/// admin key, the overall status for everyone else), `/livez` (the process alone, never the
/// database: an outage must not restart every replica) and `/readyz` (can this node serve now).
struct HealthRoutes {
    let monitor: HealthMonitor

    static let mediaType = "application/health+json"
    /// Registers `/livez` and `/readyz` in the open group, and `/api/health` in the monitoring group
    /// (answered to anyone; its key, looked up on a best-effort basis, decides the details).
    func register(open router: Router<ConveyorRequestContext>, monitoring: RouterGroup<ConveyorRequestContext>) {
        monitoring.get("/api/health") { _, context in
            let report = await monitor.report()
            return try Self.response(
                report.encoded(details: context.caller?.isAdmin == true),
                status: report.status == .fail ? .serviceUnavailable : .ok)
        }
        router.get("/livez") { _, _ in Self.live }
        router.get("/readyz") { _, _ in
            guard let reason = await monitor.notReadyBecause() else { return Self.live }
            return try Self.response(
                JSONEncoder.conveyor().encode(["status": HealthStatus.fail.rawValue, "output": reason]),
                status: .serviceUnavailable)
        }
    }

    /// `{"status":"pass"}`: the process answers (and, from `/readyz`, can serve).
    static var live: Response { response(Data(#"{"status":"pass"}"#.utf8), status: .ok) }

    static func response(_ body: Data, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: mediaType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
