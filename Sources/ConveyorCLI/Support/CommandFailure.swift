import ConveyorCore

/// CommandFailure is the one sentence a command prints when it refuses to go on. Every typed error
/// of the core becomes one here, in `CommandFailure.init(_:)`.
struct CommandFailure: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    init(_ error: any Error) {
        switch error {
        case let failure as CommandFailure: self = failure
        case let error as ConveyorCore.ValidationError: self.init(error.description)
        case let error as JobStoreError: self.init(error.description)
        case let error as MigrationError: self.init(error.description)
        default: self.init("\(error)")
        }
    }
}

/// Runs `body`, turning any error into a `CommandFailure`.
func failing<T>(_ body: () async throws -> T) async throws(CommandFailure) -> T {
    do {
        return try await body()
    } catch {
        throw CommandFailure(error)
    }
}
