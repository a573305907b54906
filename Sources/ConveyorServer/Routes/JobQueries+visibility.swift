import ConveyorCore
import Hummingbird

extension JobQueries {
    /// The job the path's `id` names, if the caller may see it: another customer's job is a 404,
    /// the same answer as for a job that does not exist.
    func visibleJob(_ context: CallerContext) async throws -> Job {
        let caller = context.caller
        let text = try context.parameters.require("id")
        guard let id = JobID(text) else { throw ValidationError(field: "id", reason: "must be a job id (a UUID)") }
        return try await visibleJob(id: id, caller: caller)
    }

    /// The job of this id if `caller` may see it (the API's and the dashboard's one rule).
    func visibleJob(id: JobID, caller: Caller) async throws -> Job {
        guard let job = try await job(id: id), caller.canSee(customer: job.customer) else {
            throw JobStoreError.notFound(id: id)
        }
        return job
    }
}
