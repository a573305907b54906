public import Foundation
import Synchronization

/// JobID is a time-ordered UUID (version 7, RFC 9562): ids sort by creation time, so the newest-first
/// listing and cursor pagination need no second index, and a B-tree grows at its right edge.
public struct JobID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The underlying UUID.
    public let uuid: UUID

    /// Wraps an existing UUID.
    public init(uuid: UUID) { self.uuid = uuid }

    /// Parses the canonical textual form (either case); nil when the text is not a UUID.
    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.uuid = uuid
    }

    /// A fresh version-7 id for a job created at `date`. Ids made by one process are strictly
    /// increasing, even within one millisecond or when the clock steps back.
    public static func generate(at date: Date) -> JobID {
        JobIDGenerator.shared.next(at: date)
    }

    /// The lower-case canonical form; lexicographic order equals creation order.
    public var description: String { uuid.lowercasedString }

    /// The millisecond timestamp embedded in the id.
    public var timestampMilliseconds: Int64 {
        let bytes = uuid.uuid
        return [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5].reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    /// The canonical text's order (the order the databases sort ids in), read off the bytes:
    /// lower-case hex digits and dashes at fixed places sort as the bytes they spell. Claims sort
    /// their jobs by id, and making the text for every comparison was a measurable part of a claim.
    public static func < (lhs: JobID, rhs: JobID) -> Bool {
        withUnsafeBytes(of: lhs.uuid.uuid) { left in
            withUnsafeBytes(of: rhs.uuid.uuid) { right in left.lexicographicallyPrecedes(right) }
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = JobID(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a UUID: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// JobIDGenerator keeps the last timestamp and a 12-bit counter (RFC 9562 §6.2, method 1), which is
/// what makes ids from one generator monotonic. The process shares one (`JobID.generate`).
public final class JobIDGenerator: Sendable {
    static let shared = JobIDGenerator()

    /// A generator with no history; ids it makes are increasing among themselves only.
    public init() {}

    private struct State {
        var lastMilliseconds: Int64 = 0
        var counter: UInt16 = 0
    }

    private let state = Mutex(State())

    /// The next id for a job created at `date` (or just after the previous id, if that is later).
    public func next(at date: Date) -> JobID {
        let (milliseconds, counter) = state.withLock { state -> (Int64, UInt16) in
            let now = date.unixMilliseconds
            if now > state.lastMilliseconds {
                state.lastMilliseconds = now
                // A random start leaves headroom below 4096 and keeps ids from different
                // processes in the same millisecond from colliding on the counter alone.
                state.counter = UInt16.random(in: 0..<2048)
            } else if state.counter >= 0x0FFF {
                state.lastMilliseconds += 1
                state.counter = 0
            } else {
                state.counter += 1
            }
            return (state.lastMilliseconds, state.counter)
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index)))
        }
        bytes[6] = 0x70 | UInt8(counter >> 8)
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        // One draw for the eight random bytes: the generator makes a system call per draw, and a
        // draw per byte was a sixth of an SQLite enqueue.
        var generator = SystemRandomNumberGenerator()
        let random: UInt64 = generator.next()
        for index in 8..<16 {
            bytes[index] = UInt8(truncatingIfNeeded: random >> (8 * (index - 8)))
        }
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        let uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        return JobID(uuid: uuid)
    }
}

extension UUID {
    /// The canonical form in lower case, formatted by hand: ids and lease tokens are printed for
    /// every row a store reads or writes, and `uuidString.lowercased()` is measurably slower.
    public var lowercasedString: String {
        let digits = Array("0123456789abcdef".utf8)
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { buffer in
                var index = 0
                for (position, byte) in bytes.enumerated() {
                    if position == 4 || position == 6 || position == 8 || position == 10 {
                        buffer[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    buffer[index] = digits[Int(byte >> 4)]
                    buffer[index + 1] = digits[Int(byte & 0x0F)]
                    index += 2
                }
                return index
            }
        }
    }
}
