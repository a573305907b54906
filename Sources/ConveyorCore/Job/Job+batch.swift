public import Foundation

extension Job {
    /// Completes the job of each completion's lease, in order, among `stored` (the rows a store
    /// locked): each one's own outcome, and the jobs that changed, for the store to write back. A
    /// lease whose job is missing gets `notFound`; a stale one `leaseLost`; neither stops the others.
    public static func complete(
        _ completions: [Completion], among stored: [Job], at now: Date
    ) -> (
        results: [Result<Job, JobStoreError>], changed: [Job]
    ) {
        var byID = Dictionary(stored.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var results: [Result<Job, JobStoreError>] = []
        var changed: [JobID: Job] = [:]
        for completion in completions {
            let lease = completion.lease
            guard var job = byID[lease.jobID] else {
                results.append(.failure(.notFound(id: lease.jobID)))
                continue
            }
            do throws(JobStoreError) {
                try job.checkScope(lease)
                try job.complete(token: lease.token, result: completion.result, at: now)
                byID[lease.jobID] = job
                changed[job.id] = job
                results.append(.success(job))
            } catch {
                results.append(.failure(error))
            }
        }
        return (results, Array(changed.values))
    }
}
