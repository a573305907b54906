import ConveyorCore
import ConveyorWebhooks
import Logging
import ServiceLifecycle

/// WebhookServices decide whether a long-running process delivers customers' webhooks
/// (`WebhookDeliveryServices`): every `serve` does unless `WEBHOOK_DELIVERY=off`; `conveyor work`
/// does with `--webhooks`. `WEBHOOK_ALLOW_PRIVATE_NETWORKS=true` lets deliveries reach private
/// addresses (development and tests only).
struct WebhookServices {
    let enabled: Bool
    let delivery: WebhookDeliveryServices
    var policy: WebhookURLPolicy { delivery.policy }

    /// Reads the settings; `enabledByDefault` is the command's default (serve: on).
    init(settings: Settings, enabledByDefault: Bool) throws(CommandFailure) {
        switch settings.text("WEBHOOK_DELIVERY")?.lowercased() {
        case nil: enabled = enabledByDefault
        case "on": enabled = true
        case "off": enabled = false
        case let other?: throw CommandFailure("WEBHOOK_DELIVERY must be on or off (got \(other.debugDescription))")
        }
        do {
            delivery = try WebhookDeliveryServices(settings: settings)
        } catch {
            throw CommandFailure(error)
        }
    }

    /// The services to run, in start order.
    func services(store: any JobStore, http: OutboundHTTP, logger: Logger) throws(CommandFailure) -> [any Service] {
        do {
            return enabled ? try delivery.services(store: store, http: http, logger: logger) : []
        } catch {
            throw CommandFailure(error)
        }
    }
}
