import ConveyorCore
import ConveyorSQLite
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the README's worker (`runEmailWorker()`, in ReadmeExample.swift) on `conveyor.sqlite` in
/// the working directory with one good and one bad email waiting, and stops it with SIGTERM once
/// both are settled. Exits 0 when the good one completed and the bad one is dead.
@main
struct EmailWorker {
    static func main() async throws {
        let store = try await SQLiteJobStore.open(path: "conveyor.sqlite")
        let good = try await store.enqueue(
            NewJob(
                customer: "acme", queue: "mail", type: "email.send",
                payloadJSON: #"{"to":"ada@example.com","subject":"hi"}"#)
        ).job
        let bad = try await store.enqueue(
            NewJob(customer: "acme", queue: "mail", type: "email.send", payloadJSON: #"{"to":"nobody","subject":"hi"}"#)
        ).job
        let worker = Task { try await runEmailWorker() }
        let deadline = ContinuousClock.now + .seconds(60)
        var states: (JobState?, JobState?) = (nil, nil)
        while ContinuousClock.now < deadline {
            states = (try await store.job(id: good.id)?.state, try await store.job(id: bad.id)?.state)
            if states == (.completed, .dead) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(getpid(), SIGTERM)
        try await worker.value
        print("good email: \(states.0.map { "\($0)" } ?? "missing"), bad email: \(states.1.map { "\($0)" } ?? "missing")")
        exit(states == (.completed, .dead) ? 0 : 1)
    }
}
