public import Logging

extension Job {
    /// What every log line about this job carries, under the same keys in every process: job id,
    /// customer, queue, type, attempt and, while a worker holds it, the worker's id.
    public var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "job_id": .stringConvertible(id), "customer": .string(customer), "queue": .string(queue),
            "type": .string(type), "attempt": .stringConvertible(attempt), "state": .string(state.rawValue),
        ]
        if let workerID { metadata["worker_id"] = .string(workerID) }
        return metadata
    }
}
