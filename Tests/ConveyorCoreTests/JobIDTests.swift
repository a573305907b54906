import ConveyorCore
import Foundation
import Testing

@Suite("Job ids (UUIDv7)")
struct JobIDTests {
    @Test("ids carry version 7, the RFC variant and their millisecond timestamp")
    func layout() throws {
        let date = Date(unixMilliseconds: 1_800_000_123_456)
        let id = JobIDGenerator().next(at: date)
        let text = id.description
        #expect(text == text.lowercased())
        #expect(Array(text)[14] == "7")
        #expect("89ab".contains(Array(text)[19]))
        #expect(id.timestampMilliseconds == 1_800_000_123_456)
        #expect(JobID(text) == id)
        #expect(JobID(text.uppercased()) == id)
        #expect(JobID("not-a-uuid") == nil)
    }

    @Test("ids made in one process are strictly increasing, even within one millisecond")
    func monotonic() {
        let date = Date(unixMilliseconds: 1_900_000_000_000)
        let generator = JobIDGenerator()
        let ids = (0..<10_000).map { _ in generator.next(at: date) }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(ids.map(\.description) == ids.map(\.description).sorted())
        let earlier = generator.next(at: date.addingTimeInterval(-60))
        #expect(earlier > ids.last!, "a clock stepping back does not break the order")
    }

    @Test("ids order as their text does, whatever their bytes")
    func orderIsTextOrder() {
        let ids = (0..<2_000).map { _ in JobID(uuid: UUID()) }
        for (a, b) in zip(ids, ids.dropFirst()) {
            #expect((a < b) == (a.description < b.description))
            #expect((b < a) == (b.description < a.description))
        }
        #expect(ids.sorted().map(\.description) == ids.map(\.description).sorted())
    }
}
