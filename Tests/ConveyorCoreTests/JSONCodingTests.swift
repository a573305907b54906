import ConveyorCore
import Foundation
import Testing

@Suite("Conveyor's JSON: times and payloads")
struct JSONCodingTests {
    @Test("a time is written to its millisecond, any day and time: the stored millisecond comes back")
    func rfc3339() {
        // The oracle: the style's whole seconds (exact for a whole second) and the millisecond.
        // The style's own fraction is not: it wrote 1999-12-31T23:59:59.999 as .998, the double
        // of .999 lying just below it.
        let seconds = Date.ISO8601FormatStyle()
        var milliseconds: [Int64] = [0, 951_782_400_000, 1_709_164_800_000, 946_684_799_999, -1, -86_400_500]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            milliseconds.append(Int64.random(in: -2_000_000_000_000...14_000_000_000_000, using: &generator))
        }
        for ms in milliseconds {
            let whole = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
            let fraction = ms - whole * 1000
            let text = Date(timeIntervalSince1970: Double(whole)).formatted(seconds)
            let expected = text.dropLast() + "." + String(String(fraction + 1000).dropFirst()) + "Z"
            #expect(Date(unixMilliseconds: ms).rfc3339Milliseconds == expected, "\(ms)")
            #expect(Date(unixMilliseconds: ms).unixMilliseconds == ms)
        }
        // A time between milliseconds is written truncated, as the style writes it.
        #expect(Date(timeIntervalSince1970: 1_800_000_000.1239).rfc3339Milliseconds == "2027-01-15T08:00:00.123Z")
    }

    @Test("payloads are written as their own bytes, however many, wherever sorted keys put them")
    func payloadsSpliced() throws {
        struct Pair: Encodable {
            let first: JobPayload
            let second: [JobPayload]
            let label: String
        }
        let texts = [#"{ "b" : [1, 2.50, "x"] , "a":null }"#, #""conveyor-payload-0""#, "1e3", #"[{"\u00e9":"\n"}]"#]
        let payloads = try texts.map { try JobPayload(json: $0) }
        let data = try JSONEncoder.conveyor().encode(
            Pair(first: payloads[0], second: Array(payloads.dropFirst()), label: "conveyor-payload-"))
        let written = String(decoding: data, as: UTF8.self)
        #expect(
            written
                == #"{"first":\#(texts[0]),"label":"conveyor-payload-","second":[\#(texts[1]),\#(texts[2]),\#(texts[3])]}"#
        )
        #expect(try JSONSerialization.jsonObject(with: data) is [String: Any])
    }
}
