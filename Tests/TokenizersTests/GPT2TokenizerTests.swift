import Foundation
import Testing
import TestSupport
import Tokenizers

/// Parity with transformers' GPT2Tokenizer (itself checked against tiktoken by the generator).
@Suite(.enabled(if: Vocabularies.gpt2 != nil, Comment(rawValue: Vocabularies.missing("gpt2"))))
struct GPT2TokenizerTests {
    let tokenizer: GPT2Tokenizer
    let cases: [TokenizerCase]

    init() throws {
        tokenizer = try GPT2Tokenizer(directory: #require(Vocabularies.gpt2))
        cases = try TokenizerCase.load("gpt2_cases.json")
    }

    @Test func eosIs50256() {
        #expect(tokenizer.eosTokenId == 50256)
        #expect(tokenizer.vocabularySize == 50257)
    }

    @Test func idsEqualReferenceOnEveryCase() {
        let encodeCases = cases.filter { $0.text != nil }
        #expect(encodeCases.count >= 300)
        var failures = 0
        for c in encodeCases {
            let text = c.text ?? ""
            let ids = tokenizer.encode(text)
            if ids != c.ids {
                failures += 1
                if failures <= 10 { Issue.record("\"\(visible(text))\": \(ids) vs reference \(c.ids)") }
            }
        }
        #expect(failures == 0, "\(failures) of \(encodeCases.count) cases differ")
    }

    @Test func decodeEqualsReference() {
        // Includes decode-only cases whose ids cut multi-byte characters (U+FFFD replacement).
        var replaced = 0
        for c in cases {
            let decoded = tokenizer.decode(c.ids)
            #expect(sameScalars(decoded, c.decoded), "\(c.ids): \"\(visible(decoded))\" vs \"\(visible(c.decoded))\"")
            if c.decoded.unicodeScalars.contains("\u{FFFD}") { replaced += 1 }
        }
        #expect(replaced >= 5, "the fixture should exercise invalid UTF-8")
    }

    @Test func decodeRoundTripsText() {
        for c in cases {
            guard let text = c.text else { continue }
            #expect(sameScalars(tokenizer.decode(tokenizer.encode(text)), text), "\"\(visible(text))\"")
        }
    }

    @Test func knownCaption() {
        // tiktoken gpt2: "Hello world" → [15496, 995]
        #expect(tokenizer.encode("Hello world") == [15496, 995])
        #expect(tokenizer.encode("a <|endoftext|>") == [64, 220, 50256])
        #expect(tokenizer.decode([15496, 995, 50256], skipSpecialTokens: true) == "Hello world")
    }
}

extension GPT2TokenizerTests {
    /// The tokenizer is shared across threads (the word cache is locked): concurrent encodes agree with serial ones.
    @Test func concurrentEncodingAgrees() {
        let texts = cases.compactMap(\.text)
        let expected = texts.map { tokenizer.encode($0) }
        let shared = tokenizer
        let lock = NSLock()
        nonisolated(unsafe) var mismatches = 0
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            var local = 0
            // Each worker walks the cases from a different offset, so cache inserts and lookups interleave.
            for k in 0..<texts.count {
                let i = (k + worker * texts.count / 4) % texts.count
                if shared.encode(texts[i]) != expected[i] { local += 1 }
            }
            lock.lock()
            mismatches += local
            lock.unlock()
        }
        #expect(mismatches == 0)
    }
}
