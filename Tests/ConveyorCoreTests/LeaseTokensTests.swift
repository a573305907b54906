import ConveyorCore
import Foundation
import Testing

@Suite("Lease tokens")
struct LeaseTokensTests {
    @Test("a claim's tokens are version-4 UUIDs, all different, however many more are taken than drawn for")
    func distinctVersion4() {
        var tokens = LeaseTokens(count: 3)
        let taken = (0..<2000).map { _ in tokens.take() }
        #expect(Set(taken).count == taken.count)
        for token in taken {
            let uuid = UUID(uuidString: token)
            #expect(uuid != nil && token == token.lowercased(), "\(token)")
            let characters = Array(token)
            #expect(characters[14] == "4", "version 4: \(token)")
            #expect("89ab".contains(characters[19]), "RFC 4122 variant: \(token)")
        }
    }
}
