public import ConveyorCore
import Foundation
public import Logging

/// JobContext is what a handler gets besides its payload: the job as claimed (id, attempt, queue…)
/// and a logger already carrying the job's id, customer and queue.
public struct JobContext: Sendable {
    /// The job, as the claim returned it (state `running`, this attempt's number).
    public let job: Job
    /// The worker process running it.
    public let workerID: String
    /// The worker's logger, without the job's metadata yet.
    let workerLogger: Logger
    /// Where progress reports go; nil where no one keeps them (a test's context).
    var progressWriter: ProgressWriter? = nil
    /// The largest progress report (`JobLimits.progressBytes`).
    var progressLimitBytes = JobLimits.default.progressBytes

    /// Reports how far the job has come — any `Encodable` value the handler chooses, e.g.
    /// `["percent": 40]` —, kept on the job as its `progress` (a `JobPayload` byte for byte) and
    /// shown wherever the job is. Cheap to call often: reports are coalesced to at most one write
    /// per job per second, the last value winning, and never waited for. Throws only for a value
    /// that does not encode or is over 4 KiB.
    public func progress(_ value: some Encodable) throws {
        let report: JobPayload
        if let payload = value as? JobPayload {
            report = payload
            try report.checkSize(limitBytes: progressLimitBytes, field: "progress")
        } else {
            report = try JobPayload(
                json: Array(try JSONEncoder.conveyor().encode(value)), limitBytes: progressLimitBytes,
                field: "progress")
        }
        guard let lease = job.lease else { return }
        progressWriter?.report(report, for: lease)
    }

    /// Log through this: every line carries `job_id`, `customer`, `queue`, `attempt` and
    /// `worker_id`. Built when asked for: a handler that never logs costs no metadata (setting
    /// metadata on swift-log's stream handler re-renders all of it, a measurable share of a
    /// no-op job).
    public var logger: Logger { Self.logger(workerLogger, for: job) }

    /// `base` with the job's metadata added.
    static func logger(_ base: Logger, for job: Job) -> Logger {
        var logger = base
        for (key, value) in job.logMetadata where key != "state" { logger[metadataKey: key] = value }
        return logger
    }
}
