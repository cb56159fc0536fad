import Foundation
import TestSupport

/// One golden case written by `Tests/Fixtures/gen_tokenizers.py`.
struct TokenizerCase: Decodable {
    /// nil for decode-only cases.
    var text: String?
    var ids: [Int]
    var idsTruncated: [Int]?
    var decoded: String

    enum CodingKeys: String, CodingKey {
        case text, ids, decoded
        case idsTruncated = "ids_truncated"
    }

    static func load(_ name: String) throws -> [TokenizerCase] {
        let url = fixturesDirectory.appendingPathComponent("tokenizers").appendingPathComponent(name)
        return try JSONDecoder().decode([TokenizerCase].self, from: Data(contentsOf: url))
    }
}

/// A string with its scalars spelled out, so a failure shows invisible characters.
func visible(_ s: String) -> String {
    s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }
        .joined()
}

/// Scalar-exact equality (Swift's `==` on strings is canonical equivalence, which would hide NFC differences).
func sameScalars(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.elementsEqual(b.unicodeScalars)
}
