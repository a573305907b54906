public import Foundation

/// ProgressThrottle is the coalescing rule for progress reports, as pure logic: each report is
/// held, replacing any report held before it for the same job (the last value wins), and its turn
/// comes when the job's last write is at least `interval` old (at once for a job's first). So a
/// handler that reports in a tight loop costs one write per job per interval, and the latest
/// report always gets written.
public struct ProgressThrottle: Sendable {
    private struct Entry {
        var lastWrite: Date?
        var held: JobPayload?
        var lease: Lease

        func turn(interval: Duration) -> Date? {
            guard held != nil else { return nil }
            return lastWrite?.adding(interval) ?? .distantPast
        }
    }

    /// The least time between two writes of one job's progress.
    public let interval: Duration
    private var entries: [JobID: Entry] = [:]

    public init(interval: Duration = .seconds(1)) {
        self.interval = interval
    }

    /// Holds a report of the job of `lease`, replacing the one held before it.
    public mutating func offer(_ progress: JobPayload, for lease: Lease) {
        entries[lease.jobID, default: Entry(lastWrite: nil, held: nil, lease: lease)].held = progress
        entries[lease.jobID]?.lease = lease
    }

    /// How many jobs it keeps a record of.
    public var jobs: Int { entries.count }

    /// The held reports whose turn has come at `now`, counted as written now.
    ///
    /// A job with nothing held whose interval has passed is forgotten: its next report would go at
    /// once either way. That is what bounds the record when a worker vanishes without ending its
    /// attempts (an HTTP worker that stopped heartbeating).
    public mutating func due(at now: Date) -> [(lease: Lease, progress: JobPayload)] {
        var due: [(lease: Lease, progress: JobPayload)] = []
        for (id, entry) in entries {
            if entry.held == nil, let lastWrite = entry.lastWrite, now >= lastWrite.adding(interval) {
                entries[id] = nil
                continue
            }
            guard let held = entry.held, let turn = entry.turn(interval: interval), now >= turn else { continue }
            due.append((entry.lease, held))
            entries[id] = Entry(lastWrite: now, held: nil, lease: entry.lease)
        }
        return due
    }

    /// When the next held report's turn comes; nil when none is held.
    public var nextTurn: Date? {
        entries.values.compactMap { $0.turn(interval: interval) }.min()
    }

    /// Forgets the job (its attempt ended) and returns the report still held for it, to be written
    /// before the attempt's outcome.
    public mutating func end(_ id: JobID) -> (lease: Lease, progress: JobPayload)? {
        guard let entry = entries.removeValue(forKey: id), let held = entry.held else { return nil }
        return (entry.lease, held)
    }
}
