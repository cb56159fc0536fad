import Foundation
import Testing
import TestSupport
@testable import Tokenizers

/// Every code point's class (`\p{L}`, `\p{N}`, `\s`, other) and lowercase mapping against what the reference's
/// regex engine (Oniguruma inside HF `tokenizers`) and its Lowercase normalizer do. Needs no vocabulary.
struct UnicodeClassTests {
    struct Table: Decodable {
        var runs: [[JSONScalar]]
        var lower: [String: [UInt32]]
    }

    enum JSONScalar: Decodable {
        case int(UInt32), string(String)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(UInt32.self) { self = .int(v) } else { self = .string(try c.decode(String.self)) }
        }
    }

    static func load() throws -> Table {
        let url = fixturesDirectory.appendingPathComponent("tokenizers/unicode_classes.json")
        return try JSONDecoder().decode(Table.self, from: Data(contentsOf: url))
    }

    @Test func classesMatchReferenceEngine() throws {
        let table = try Self.load()
        var mismatches: [String] = []
        var count = 0
        for run in table.runs {
            guard case .int(let first) = run[0], case .int(let last) = run[1], case .string(let name) = run[2] else {
                Issue.record("bad run \(run)")
                return
            }
            let expected: ScalarClass = ["L": .letter, "N": .number, "S": .whitespace][name] ?? .other
            for v in first...last {
                guard let scalar = Unicode.Scalar(v) else { continue }
                count += 1
                let actual = ScalarClass.of(scalar)
                if actual != expected {
                    let age = scalar.properties.age.map { "\($0.major).\($0.minor)" } ?? "unassigned"
                    mismatches.append("U+\(String(v, radix: 16)) \(actual) vs \(name) (age \(age))")
                }
            }
        }
        #expect(count > 1_000_000)
        let summary = "\(mismatches.count) code points differ: \(mismatches.prefix(20).joined(separator: ", "))"
        #expect(mismatches.isEmpty, Comment(rawValue: summary))
    }

    @Test func lowercaseMatchesReferenceNormalizer() throws {
        let table = try Self.load()
        var mismatches: [String] = []
        for v in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let expected = table.lower[String(v)] ?? [v]
            var lowered: [Unicode.Scalar] = []
            CLIPTokenizer.appendLowercased(scalar, to: &lowered)
            let actual = lowered.map(\.value)
            if actual != expected { mismatches.append("U+\(String(v, radix: 16)) → \(actual) vs \(expected)") }
        }
        let summary = "\(mismatches.count) code points differ: \(mismatches.prefix(20).joined(separator: ", "))"
        #expect(mismatches.isEmpty, Comment(rawValue: summary))
    }
}
