import ConveyorCore
import Synchronization

/// ClaimWaiters bounds the long-poll claims each customer may hold waiting at once
/// (`CLAIM_WAITERS_PER_CUSTOMER`, default 64): a waiting claim holds a connection and re-runs its
/// claim every second, so without a bound one customer's workers could take the server's
/// connections and its database's time from everybody else. Admin claims are not bounded, as
/// admin keys are not rate limited. The count is this server's: each node bounds its own.
final class ClaimWaiters: Sendable {
    let limit: Int
    private let waiting = Mutex<[String: Int]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place for one of `customer`'s claims to wait; false when it holds `limit` already.
    func enter(_ customer: String) -> Bool {
        waiting.withLock { waiting in
            guard waiting[customer, default: 0] < limit else { return false }
            waiting[customer, default: 0] += 1
            return true
        }
    }

    /// Gives back a place `enter` took.
    func leave(_ customer: String) {
        waiting.withLock { waiting in
            waiting[customer, default: 1] -= 1
            if waiting[customer] == 0 { waiting[customer] = nil }
        }
    }

    /// The answer to a claim past the bound.
    func refusal() -> Problem {
        var problem = Problem(
            status: .tooManyRequests, type: "claim-waiters", title: "Too many waiting claims",
            detail:
                "this key's customer holds \(limit) waiting claims on this server already; "
                + "send this claim with wait_seconds 0, or once one of them has answered",
            field: "wait_seconds")
        problem.headers[.retryAfter] = "1"
        return problem
    }
}
