extension JobQueue {
    /// Enqueues the jobs of separate requests together, each judged as if it had gone alone — how
    /// the HTTP API group-commits single enqueues. They are first written as one batch; a batch
    /// refused for one customer's backlog quota is written again without that customer's jobs,
    /// which then go one at a time, in order, so a customer over its quota is refused its own
    /// requests and nobody else's (nor is anyone told of it). Once one of them is refused for the
    /// quota, the customer's later jobs in the same call are refused with it untried: they came at
    /// the same moment, and a flood of them must not cost a statement each. A batch refused for
    /// any other reason but an unavailable database is written one job at a time. A database that
    /// cannot be reached fails every job, as it would have alone.
    ///
    /// The result is one per job, in order: the job committed, or why this job alone was refused.
    public func enqueue(separately jobs: [NewJob]) async -> [Result<Job, any Error>] {
        var results = [Result<Job, any Error>?](repeating: nil, count: jobs.count)
        var together = Array(jobs.indices)
        var alone: [Int] = []
        while !together.isEmpty {
            do {
                let made = try await enqueue(batch: together.map { jobs[$0] })
                for (index, result) in zip(together, made) { results[index] = .success(result.job) }
                together = []
            } catch JobStoreError.backlogQuotaExceeded(let customer, _)
                where together.contains(where: { jobs[$0].customer == customer })
            {
                alone += together.filter { jobs[$0].customer == customer }
                together.removeAll { jobs[$0].customer == customer }
            } catch let error as JobStoreError {
                if case .unavailable = error {
                    for index in together { results[index] = .failure(error) }
                } else {
                    alone += together
                }
                together = []
            } catch {
                alone += together
                together = []
            }
        }
        var full: [String: any Error] = [:]
        for index in alone.sorted() {
            if let refusal = full[jobs[index].customer] {
                results[index] = .failure(refusal)
                continue
            }
            do {
                results[index] = .success(try await enqueue(jobs[index]).job)
            } catch {
                if case JobStoreError.backlogQuotaExceeded = error { full[jobs[index].customer] = error }
                results[index] = .failure(error)
            }
        }
        return results.map { $0! }
    }
}
