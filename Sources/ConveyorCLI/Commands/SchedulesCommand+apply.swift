import ArgumentParser
import ConveyorCore
import Foundation

extension SchedulesCommand {
    /// `conveyor schedules apply FILE --customer C [--prune]`: makes the customer's schedules match
    /// the file's — each one in it made or changed to match, none touched that already does, and
    /// with `--prune` those not in it deleted. Running it again changes nothing. Every entry is
    /// checked before anything is changed; pauses are left as they are.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a customer's schedules match a JSON file: {\"schedules\": [{\"name\", \"cron\", …}]}.")

        @Argument(help: "The JSON file (each schedule as the API's POST …/schedules takes it).")
        var file: String

        @Option(help: "The customer whose schedules the file describes.")
        var customer: String

        @Flag(help: "Delete the customer's schedules the file does not name.")
        var prune = false

        @OptionGroup var database: DatabaseOptions

        /// A schedules file.
        struct ScheduleFile: Decodable {
            let schedules: [ScheduleDefinition]
        }

        func run() async throws {
            let drafts = try await failing {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                let definitions = try RequestDecoder().decode(ScheduleFile.self, from: data).schedules
                var drafts: [ScheduleDraft] = []
                for (index, definition) in definitions.enumerated() {
                    do {
                        drafts.append(try definition.draft(customer: customer))
                    } catch let invalid as ConveyorCore.ValidationError {
                        throw CommandFailure("\(file): schedules[\(index)].\(invalid.field) \(invalid.reason)")
                    }
                }
                let names = drafts.map(\.name)
                if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
                    throw CommandFailure("\(file): the schedule \(twice) is there twice")
                }
                return drafts
            }
            let store = try await database.open(mustExist: true)
            let (made, changed, same, deleted) = try await failing {
                let existing = Dictionary(
                    uniqueKeysWithValues: try await store.schedules(customer: customer).map { ($0.name, $0) })
                var made = 0
                var changed = 0
                var same = 0
                for draft in drafts {
                    if let current = existing[draft.name] {
                        if draft.matches(current) {
                            same += 1
                        } else {
                            _ = try await store.updateSchedule(draft)
                            changed += 1
                        }
                    } else {
                        _ = try await store.createSchedule(draft)
                        made += 1
                    }
                }
                var deleted = 0
                if prune {
                    let kept = Set(drafts.map(\.name))
                    for name in existing.keys.sorted() where !kept.contains(name) {
                        try await store.deleteSchedule(customer: customer, name: name)
                        deleted += 1
                    }
                }
                return (made, changed, same, deleted)
            }
            print("\(customer): \(made) made, \(changed) changed, \(same) unchanged, \(deleted) deleted")
        }
    }
}

extension ScheduleDraft {
    /// Whether `schedule` is already what this draft describes.
    func matches(_ schedule: Schedule) -> Bool {
        cron.text == schedule.cron.text && timezone == schedule.timezone && missed == schedule.missed
            && job == schedule.job
    }
}
