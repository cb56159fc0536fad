import Foundation
import Testing
import TestSupport
import Tokenizers

/// Parity with transformers' CLIPTokenizer on the golden cases of `Tests/Fixtures/gen_tokenizers.py`.
@Suite(.enabled(if: Vocabularies.clip != nil, Comment(rawValue: Vocabularies.missing("clip"))))
struct CLIPTokenizerTests {
    let tokenizer: CLIPTokenizer
    let cases: [TokenizerCase]

    init() throws {
        tokenizer = try CLIPTokenizer(directory: #require(Vocabularies.clip))
        cases = try TokenizerCase.load("clip_cases.json")
    }

    @Test func specialIdsMatchHFConfig() {
        #expect(tokenizer.startTokenId == 49406)
        #expect(tokenizer.endTokenId == 49407)
        #expect(tokenizer.padTokenId == 49407)
        #expect(tokenizer.vocabularySize == 49408)
    }

    @Test func idsEqualReferenceOnEveryCase() throws {
        #expect(cases.count >= 300)
        var failures = 0
        for c in cases {
            let text = try #require(c.text)
            let ids = tokenizer.encode(text)
            if ids != c.ids {
                failures += 1
                if failures <= 10 { Issue.record("\"\(visible(text))\": \(ids) vs reference \(c.ids)") }
            }
        }
        #expect(failures == 0, "\(failures) of \(cases.count) cases differ")
    }

    @Test func truncationToContextLengthEqualsReference() throws {
        var truncatedCount = 0, failures = 0
        for c in cases {
            let text = try #require(c.text)
            let expected = try #require(c.idsTruncated)
            let ids = tokenizer.encode(text, contextLength: 77)
            if ids != expected {
                failures += 1
                if failures <= 10 { Issue.record("\"\(visible(text))\": \(ids) vs reference \(expected)") }
            }
            #expect(ids.count <= 77)
            #expect(ids.first == tokenizer.startTokenId && ids.last == tokenizer.endTokenId)
            if c.ids.count > 77 {
                truncatedCount += 1
                #expect(ids.count == 77)
                #expect(Array(ids[1..<76]) == Array(c.ids[1..<76]), "keeps the first 75 text tokens")
            }
        }
        #expect(failures == 0, "\(failures) of \(cases.count) cases differ")
        #expect(truncatedCount >= 5, "the fixture should hold several captions longer than 77 tokens")
    }

    @Test func decodeEqualsReference() throws {
        for c in cases {
            let decoded = tokenizer.decode(c.ids, skipSpecialTokens: true)
            #expect(sameScalars(decoded, c.decoded), "\"\(visible(c.text ?? ""))\": \"\(visible(decoded))\" vs \"\(visible(c.decoded))\"")
        }
    }

    @Test func batchIsPaddedToLongestWithEndToken() throws {
        let texts = ["a photo of a cat", "", "a dog", String(repeating: "word ", count: 100)]
        let batch = tokenizer.encodeBatch(texts)
        #expect(batch.batchSize == 4)
        #expect(batch.sequenceLength == 77)
        #expect(batch.ids.count == 4 * 77)
        #expect(batch.padTokenId == 49407)
        for (b, text) in texts.enumerated() {
            let ids = tokenizer.encode(text, contextLength: 77)
            #expect(batch.lengths[b] == ids.count)
            let row = Array(batch.row(b))
            #expect(row[..<ids.count].map(Int.init) == ids)
            #expect(row[ids.count...].allSatisfy { $0 == 49407 })
        }
        #expect(batch.lengths[1] == 2)
        #expect(batch.attentionMask.reduce(0, +) == Int32(batch.lengths.reduce(0, +)))

        let short = tokenizer.encodeBatch(["a dog", "a photo of a cat"])
        #expect(short.sequenceLength == tokenizer.encode("a photo of a cat").count, "pads to the longest, not to 77")
        let narrow = tokenizer.encodeBatch(texts, contextLength: 8)
        #expect(narrow.sequenceLength == 8)
        #expect(Array(narrow.row(3)).last == 49407)
    }

    @Test func knownCaption() {
        // transformers: CLIPTokenizer("a photo of a cat")
        #expect(tokenizer.encode("a photo of a cat") == [49406, 320, 1125, 539, 320, 2368, 49407])
        #expect(tokenizer.encode("") == [49406, 49407])
    }
}
