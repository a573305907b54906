import Foundation
import Subprocess
import SystemPackage

/// Program runs a tool a test needs beside Conveyor (openssl, python3) and waits for it.
public enum Program {
    /// Runs `name` (looked up in `PATH`) with `arguments`; its exit status (nil when it was killed
    /// by a signal) and what it wrote on standard output and standard error.
    public static func run(
        _ name: String, _ arguments: [String], environment: [String: String] = [:]
    ) async throws -> (status: Int32?, output: String) {
        let result = try await Subprocess.run(
            .name(name), arguments: Arguments(arguments),
            environment: .inherit.updating(
                Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) })
            ),
            input: .none, output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let status: Int32? =
            if case .exited(let code) = result.terminationStatus { code } else { nil }
        return (status, result.standardOutput + result.standardError)
    }
}
