import ConveyorCore
import Foundation
import Hummingbird

/// CallerRoutes tell a key's holder who the key speaks for (`GET /api/me`): a client given only a
/// key learns its customer here, for the routes that name one. Nobody learns more than their own.
struct CallerRoutes {
    func register(on router: RouterGroup<CallerContext>) {
        router.get("me") { _, context in
            try JSONResponse.make(CallerResource(caller: context.caller))
        }
    }
}

/// CallerResource is who a key speaks for: its customer (null for an admin key), whether it is
/// an admin's, and the key's id.
struct CallerResource: Encodable, Sendable {
    let caller: Caller

    enum CodingKeys: String, CodingKey {
        case customer, admin
        case keyID = "key_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(caller.customer, forKey: .customer)
        try container.encode(caller.isAdmin, forKey: .admin)
        try container.encode(caller.keyID, forKey: .keyID)
    }
}
