public import ConveyorCore
import Foundation
import GRDB

/// Leadership on SQLite: a row per role with a lease of three retry intervals. The leader renews
/// it every `retry`; a process that finds the lease run out takes the role. A leader that fails
/// to renew (it stalled and someone took over) stops leading.
extension SQLiteJobStore {
    public func lead(_ role: String, retry: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws
    {
        let holder = Leadership.newHolder()
        let lease = retry * 3
        while !Task.isCancelled {
            // A claim that fails (the file busy past its timeout, or the campaign cancelled by a
            // shutdown mid-write) is tried again next round, as a follower does, and as the
            // PostgreSQL engine does; thrown, it would end the campaign and with it the process's
            // service group (the likely cause of a monitor seen exiting non-zero on SIGTERM under
            // the full suite, with two others sharing its file).
            let claimed: Bool
            do {
                claimed = try await claimLeadership(role, holder: holder, lease: lease)
            } catch {
                if Task.isCancelled { return }
                claimed = false
            }
            if claimed {
                // Cancelled while claiming (a shutdown): give the role straight back instead of
                // leading for a moment.
                if !Task.isCancelled {
                    let renewals = Task {
                        while !Task.isCancelled {
                            try await Task.sleep(for: retry)
                            guard try await self.claimLeadership(role, holder: holder, lease: lease) else { return }
                        }
                    }
                    let leading = Task { try await body() }
                    // Whichever ends first (the body, or a failed renewal) ends this term; so does
                    // cancellation of the campaign.
                    await withTaskCancellationHandler {
                        await withTaskGroup(of: Void.self) { group in
                            group.addTask { _ = await renewals.result }
                            group.addTask { _ = await leading.result }
                            await group.next()
                            renewals.cancel()
                            leading.cancel()
                        }
                    } onCancel: {
                        renewals.cancel()
                        leading.cancel()
                    }
                }
                // Handing the role back must happen even when the campaign was cancelled (a
                // shutdown): in a task of its own, which does not inherit the cancellation.
                await Task {
                    _ = try? await self.write { db, _ in
                        try db.execute(
                            sql: "DELETE FROM leaders WHERE role = ? AND holder = ?", arguments: [role, holder])
                    }
                }.value
            }
            try? await Task.sleep(for: retry)
        }
    }

    /// Takes or renews the role when it is free, expired or already ours; says whether it is ours.
    private func claimLeadership(_ role: String, holder: String, lease: Duration) async throws -> Bool {
        try await write { db, now in
            try db.execute(
                sql: """
                    INSERT INTO leaders (role, holder, expires_at, since) VALUES (?, ?, ?, ?)
                    ON CONFLICT (role) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
                        since = CASE WHEN leaders.holder = excluded.holder THEN leaders.since ELSE excluded.since END
                    WHERE leaders.expires_at <= ? OR leaders.holder = excluded.holder
                    """,
                arguments: [
                    role, holder, now.adding(lease).unixMilliseconds, now.unixMilliseconds, now.unixMilliseconds,
                ])
            return try String.fetchOne(db, sql: "SELECT holder FROM leaders WHERE role = ?", arguments: [role])
                == holder
        }
    }

    public func leader(of role: String) async throws -> Leadership? {
        try await read { db, now in
            try Row.fetchOne(
                db, sql: "SELECT holder, since FROM leaders WHERE role = ? AND expires_at > ?",
                arguments: [role, now.unixMilliseconds]
            ).map { Leadership(role: role, holder: $0["holder"], since: Date(unixMilliseconds: $0["since"])) }
        }
    }
}
