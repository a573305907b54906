import ConveyorCore
import Foundation
import Testing

@Suite("A replay by filter in several calls keeps one pace")
struct DeadLetterBatchTests {
    let now = Date(unixMilliseconds: 1_800_000_000_000)

    @Test("the next call's first turn follows the last job's, or where the pace stood when a call replayed none")
    func nextTurn() throws {
        let cursor = JobID.generate(at: now)
        let later = now.addingTimeInterval(40)
        let selection = DeadLetterSelection.matching(try DeadLetterFilter(after: cursor, turnsFrom: later))
        #expect(selection.firstTurn(from: now) == later, "a pace that stood in the future goes on from there")
        #expect(selection.turns(count: 3, perSecond: 2, from: now) == [40, 40.5, 41].map(now.addingTimeInterval))
        let replayed = DeadLetterBatch.replayed(
            [], next: cursor, turns: [], firstTurn: selection.firstTurn(from: now), perSecond: 2)
        #expect(replayed.nextTurn == later, "a call whose jobs all failed the error filter keeps the pace where it was")
        #expect(DeadLetterBatch.replayed([], next: nil, turns: [], firstTurn: later, perSecond: 2).nextTurn == nil)
        #expect(DeadLetterBatch.replayed([], next: cursor, turns: [], firstTurn: later, perSecond: nil).nextTurn == nil)
        let unpaced = DeadLetterSelection.matching(try DeadLetterFilter(turnsFrom: later))
        #expect(unpaced.turns(count: 2, perSecond: nil, from: now) == [now, now], "without a pace, all at once")
    }
}
