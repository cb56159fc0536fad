import Foundation
import TestSupport

/// Where the converted vocabularies live: `$CLIPCAP_VOCAB_DIR`, else `<repo>/.cache/vocab`
/// (`scripts/fetch_vocabs.sh` writes them). Tests that need one are skipped, with this message, when absent.
enum Vocabularies {
    static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["CLIPCAP_VOCAB_DIR"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".cache/vocab")
    }()

    /// `root/name` when it holds both `vocab.json` and `merges.txt`.
    static func directory(_ name: String) -> URL? {
        let dir = root.appendingPathComponent(name)
        let fm = FileManager.default
        guard fm.fileExists(atPath: dir.appendingPathComponent("vocab.json").path),
              fm.fileExists(atPath: dir.appendingPathComponent("merges.txt").path) else { return nil }
        return dir
    }

    static var clip: URL? { directory("clip") }
    static var gpt2: URL? { directory("gpt2") }

    static func missing(_ name: String) -> String {
        "no \(name) vocab.json + merges.txt under \(root.path) (set CLIPCAP_VOCAB_DIR or run scripts/fetch_vocabs.sh)"
    }
}

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
