import ConveyorCore
import Foundation
import Testing

@Suite("API keys (pure)")
struct APIKeySecretTests {
    @Test("a key is cvk_ and 32 base-62 characters, unique, looked up by its first 12")
    func shape() {
        let (key, secret) = APIKeySecret.generate(customer: "acme")
        #expect(secret.hasPrefix("cvk_"))
        #expect(secret.count == 36)
        #expect(secret.dropFirst(4).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(key.prefix == String(secret.prefix(12)))
        #expect(APIKeySecret.lookupPrefix(of: secret) == key.prefix)
        #expect(key.customer == "acme")
        let others = (0..<100).map { _ in APIKeySecret.generate(customer: nil).secret }
        #expect(Set(others + [secret]).count == 101)
        #expect(Set(others.map { String($0.prefix(12)) }).count == 100, "prefixes are unique in practice")
    }

    @Test("what is not shaped like a key has no lookup prefix")
    func malformed() {
        let secret = APIKeySecret.generate(customer: nil).secret
        for bad in [
            "", "cvk_", "Bearer " + secret, String(secret.dropLast()), secret + "x", "xvk_" + secret.dropFirst(4),
            String(secret.prefix(20)) + "!" + secret.dropFirst(21),
        ] {
            #expect(APIKeySecret.lookupPrefix(of: bad) == nil, "\(bad)")
        }
    }

    @Test("keys are stored as SHA-256 and only the same secret is accepted")
    func hashing() throws {
        #expect(APIKeySecret.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let (new, secret) = APIKeySecret.generate(customer: "acme")
        let key = APIKey(
            id: new.id, customer: new.customer, prefix: new.prefix, secretHash: new.secretHash, createdAt: .now,
            revokedAt: nil)
        #expect(key.accepts(secret))
        #expect(!key.accepts(String(secret.dropLast()) + (secret.last == "a" ? "b" : "a")))
        #expect(!key.accepts(""))
        let revoked = APIKey(
            id: key.id, customer: key.customer, prefix: key.prefix, secretHash: key.secretHash,
            createdAt: key.createdAt,
            revokedAt: .now)
        #expect(!revoked.accepts(secret))
    }
}
