import ArgumentParser
import ConveyorCore

/// Runs one of the core's checks in a command's `validate()`: the command line is refused with
/// the usage and the core's own sentence, so a rule and its message live in one place.
func checkedOption<T>(_ check: () throws(ConveyorCore.ValidationError) -> T) throws -> T {
    do {
        return try check()
    } catch {
        throw ArgumentParser.ValidationError(error.description)
    }
}
