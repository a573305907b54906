// README example begins
import ConveyorCore
import ConveyorSQLite
import ConveyorWorker
import Logging
import ServiceLifecycle

struct SendEmail: Codable, Sendable {
    let to: String
    let subject: String
}

func emailHandlers() -> JobHandlers {
    var handlers = JobHandlers()
    handlers.register("email.send") { (email: SendEmail, context: JobContext) in
        guard email.to.contains("@") else {
            throw NonRetryableError("not an email address: \(email.to)")  // straight to the DLQ
        }
        context.logger.info("sending", metadata: ["to": .string(email.to)])
        // Send it here. Return to complete the job; throw to retry it with backoff;
        // throw JobSnooze(for: .seconds(60)) to run it later without counting a failure.
    }
    return handlers
}

func runEmailWorker() async throws {
    let store = try await SQLiteJobStore.open(path: "conveyor.sqlite")
    let worker = try WorkerService(
        store: store, handlers: emailHandlers(),
        configuration: WorkerConfiguration(
            queues: ["mail": 4],  // up to 4 mail jobs at once
            lease: .seconds(30),  // renewed every 10 s while a handler runs
            handlerTimeout: .seconds(120),  // then the handler is cancelled and the attempt fails
            shutdownTimeout: .seconds(25)  // on SIGTERM, running jobs get this long to finish
        ))
    let services = ServiceGroup(
        services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "worker"))
    try await services.run()
}
// README example ends
