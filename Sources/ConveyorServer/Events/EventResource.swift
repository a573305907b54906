import ConveyorCore
import Foundation

/// EventResource is a job event as its stream's `data` shows it: what happened, to which job, and
/// what the customer needs of it — the result of `job.completed`, the error and the next run of
/// `job.failed`, the error of `job.dead`, the report of `job.progress`; results and reports byte
/// for byte as the worker sent them.
struct EventResource: Encodable, Sendable {
    let event: Event

    enum CodingKeys: String, CodingKey {
        case id, event, at, customer, queue, type, attempt, result, progress, error
        case jobID = "job_id"
        case runAt = "run_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event.id.description, forKey: .id)
        try container.encode(event.kind.rawValue, forKey: .event)
        try container.encode(event.at, forKey: .at)
        try container.encode(event.jobID, forKey: .jobID)
        try container.encode(event.customer, forKey: .customer)
        try container.encode(event.queue, forKey: .queue)
        try container.encode(event.type, forKey: .type)
        try container.encode(event.attempt, forKey: .attempt)
        switch event.kind {
        case .completed: try container.encode(event.result, forKey: .result)
        case .progress: try container.encodeIfPresent(event.detail.map(JobPayload.init(storedText:)), forKey: .progress)
        case .failed:
            try container.encodeIfPresent(event.detail, forKey: .error)
            try container.encodeIfPresent(event.runAt, forKey: .runAt)
        case .dead: try container.encodeIfPresent(event.detail, forKey: .error)
        case .enqueued: try container.encodeIfPresent(event.runAt, forKey: .runAt)
        case .started, .cancelled: break
        }
    }

    /// The event in the `text/event-stream` format: its id, its name, its data on one line.
    func serverSentEvent() throws -> String {
        let data = String(decoding: try JSONEncoder.conveyor().encode(self), as: UTF8.self)
        return "id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: \(data)\n\n"
    }
}
