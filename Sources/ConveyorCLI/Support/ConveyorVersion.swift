/// ConveyorVersion is the version `conveyor --version` prints.
enum ConveyorVersion {
    static let current = "0.1.0"
}
