/// CapStore holds the concurrency caps claims obey (`ConcurrencyCap`). A cap binds the next claim
/// on every host; lowering one below what runs now stops nothing, it only holds back new claims
/// until enough jobs finish. Raising or removing one rings the queues it held back.
public protocol CapStore: Sendable {
    /// Sets the cap of this target, replacing any it had; checks it (`ConcurrencyCap.valid`).
    func setCap(queue: String?, customer: String?, maxRunning: Int) async throws -> ConcurrencyCap

    /// Removes the cap of exactly this target; false if there was none.
    func removeCap(queue: String?, customer: String?) async throws -> Bool

    /// Every cap, by queue then customer (every-queue and every-customer first).
    func caps() async throws -> [ConcurrencyCap]
}
