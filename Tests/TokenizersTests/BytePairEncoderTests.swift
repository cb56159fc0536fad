import Foundation
import Testing
@testable import Tokenizers

/// Merge order, the word cache and file errors on tiny hand-made vocabularies written to a temp folder.
/// Needs no real vocabulary.
struct BytePairEncoderTests {
    /// A folder with `vocab.json` = the 256 byte characters (and their `</w>` forms when `suffix`), then
    /// `tokens`, then `specials`; and `merges.txt` = the header and `merges`.
    static func writeVocabulary(tokens: [String], merges: [String], suffix: Bool, specials: [String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var list = (0..<256).map { ByteUnicodeMap.string(for: UInt8($0)) }
        if suffix { list += list.map { $0 + "</w>" } }
        list += tokens + specials
        var vocab: [String: Int] = [:]
        for (i, t) in list.enumerated() { vocab[t] = i }
        try JSONEncoder().encode(vocab).write(to: dir.appendingPathComponent("vocab.json"))
        try (["#version: 0.2"] + merges).joined(separator: "\n").appending("\n")
            .write(to: dir.appendingPathComponent("merges.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    static func gpt2(tokens: [String], merges: [String]) throws -> (GPT2Tokenizer, [String: Int]) {
        let dir = try writeVocabulary(tokens: tokens, merges: merges, suffix: false, specials: ["<|endoftext|>"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let vocab = try JSONDecoder().decode([String: Int].self, from: Data(contentsOf: dir.appendingPathComponent("vocab.json")))
        return (try GPT2Tokenizer(directory: dir), vocab)
    }

    @Test func lowestRankMergesFirst() throws {
        // "abc": with (b c) ranked first, "a" never joins; with (a b) first, everything joins.
        let (bcFirst, v1) = try Self.gpt2(tokens: ["bc", "ab", "abc"], merges: ["b c", "a b", "ab c"])
        #expect(bcFirst.encode("abc") == [v1["a"]!, v1["bc"]!])
        let (abFirst, v2) = try Self.gpt2(tokens: ["bc", "ab", "abc"], merges: ["a b", "b c", "ab c"])
        #expect(abFirst.encode("abc") == [v2["abc"]!])
    }

    @Test func equalRanksMergeLeftmostFirst() throws {
        let (tok, v) = try Self.gpt2(tokens: ["aa"], merges: ["a a"])
        #expect(tok.encode("aaa") == [v["aa"]!, v["a"]!])
        #expect(tok.encode("aaaa") == [v["aa"]!, v["aa"]!])
    }

    @Test func cacheHoldsEachWordOnceAndGivesSameIds() throws {
        let (tok, v) = try Self.gpt2(tokens: ["ab", "Ġa", "Ġab"], merges: ["Ġ a", "a b", "Ġa b"])
        #expect(tok.cachedWordCount == 0)
        let first = tok.encode("ab ab ab")
        #expect(first == [v["ab"]!, v["Ġab"]!, v["Ġab"]!])
        #expect(tok.cachedWordCount == 2)  // "ab" and " ab"
        #expect(tok.encode("ab ab ab") == first)
        #expect(tok.cachedWordCount == 2)
        // A word longer than the 16 packed bytes takes the array key.
        let long = String(repeating: "ab", count: 20)
        #expect(tok.encode(long) == Array(repeating: v["ab"]!, count: 20))
        #expect(tok.encode(long) == Array(repeating: v["ab"]!, count: 20))
        #expect(tok.cachedWordCount == 3)
    }

    @Test func clipSuffixMarksTheLastSymbol() throws {
        let dir = try Self.writeVocabulary(
            tokens: ["ca", "cat</w>", "ca</w>"], merges: ["c a", "ca t</w>", "c a</w>"], suffix: true,
            specials: ["<|startoftext|>", "<|endoftext|>"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let tok = try CLIPTokenizer(directory: dir)
        // ids: bytes 0…255 (by byte value), their </w> forms 256…511, "ca" 512, "cat</w>" 513, "ca</w>" 514.
        #expect(tok.startTokenId == 515 && tok.endTokenId == 516)
        // "cat" → c a t</w> → ca t</w> → cat</w>;  "ca" → c a</w> → ca</w>;  "cab" → ca b</w>.
        #expect(tok.encode("Cat ca cab") == [515, 513, 514, 512, 256 + 98, 516])
        #expect(tok.decode(tok.encode("Cat ca cab"), skipSpecialTokens: true) == "cat ca cab")
        #expect(tok.decode(tok.encode("Cat ca cab")) == "<|startoftext|>cat ca cab <|endoftext|>")
    }

    @Test func invalidUTF8DecodesToReplacementCharacter() throws {
        let (tok, v) = try Self.gpt2(tokens: [], merges: [])
        let e2 = v[ByteUnicodeMap.string(for: 0xE2)]!, x82 = v[ByteUnicodeMap.string(for: 0x82)]!
        let a = v["a"]!
        #expect(tok.decode([e2, a]) == "\u{FFFD}a")
        #expect(tok.decode([e2, x82, a]) == "\u{FFFD}a")  // one U+FFFD for a maximal invalid prefix
        #expect(tok.decode([x82, x82]) == "\u{FFFD}\u{FFFD}")
        #expect(tok.decode([e2, x82, v[ByteUnicodeMap.string(for: 0xAC)]!]) == "€")
        #expect(tok.decode([a, 99_999, -1, tok.eosTokenId]) == "a<|endoftext|>")
        #expect(tok.decode([a, tok.eosTokenId], skipSpecialTokens: true) == "a")
    }

    @Test func missingFilesAreNamed() throws {
        let dir = try Self.writeVocabulary(tokens: [], merges: [], suffix: false, specials: ["<|endoftext|>"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let merges = dir.appendingPathComponent("merges.txt")
        try FileManager.default.removeItem(at: merges)
        #expect(throws: TokenizerError.fileNotFound(merges)) { try GPT2Tokenizer(directory: dir) }
        let nowhere = dir.appendingPathComponent("nowhere")
        #expect(throws: TokenizerError.fileNotFound(nowhere.appendingPathComponent("vocab.json"))) {
            try CLIPTokenizer(directory: nowhere)
        }
        let error = TokenizerError.fileNotFound(merges)
        #expect(error.description.hasSuffix("merges.txt: file not found"))
    }

    @Test func malformedFilesThrowTypedErrors() throws {
        let dir = try Self.writeVocabulary(tokens: [], merges: ["a b", "x"], suffix: false, specials: ["<|endoftext|>"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let merges = dir.appendingPathComponent("merges.txt"), vocab = dir.appendingPathComponent("vocab.json")
        #expect(throws: TokenizerError.malformedMerges(merges, line: 3, reason: "expected two symbols separated by one space")) {
            try GPT2Tokenizer(directory: dir)
        }
        // "a b" needs "ab" in the vocabulary.
        try "#version: 0.2\na b\n".write(to: merges, atomically: true, encoding: .utf8)
        #expect {
            try GPT2Tokenizer(directory: dir)
        } throws: { error in
            guard case TokenizerError.malformedMerges(let url, let line, _) = error else { return false }
            return url == merges && line == 2
        }
        try "{\"a\": \"one\"}".write(to: vocab, atomically: true, encoding: .utf8)
        #expect {
            try GPT2Tokenizer(directory: dir)
        } throws: { error in
            guard case TokenizerError.malformedVocabulary(let url, _) = error else { return false }
            return url == vocab
        }
        // A vocabulary without the byte characters or the special tokens cannot encode everything.
        try "{\"a\": 0, \"<|endoftext|>\": 1}".write(to: vocab, atomically: true, encoding: .utf8)
        try "#version: 0.2\n".write(to: merges, atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.missingToken(ByteUnicodeMap.string(for: 0), file: vocab)) { try GPT2Tokenizer(directory: dir) }
    }

    @Test func missingSpecialTokenIsNamed() throws {
        let dir = try Self.writeVocabulary(tokens: [], merges: [], suffix: true, specials: ["<|endoftext|>"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: TokenizerError.missingToken("<|startoftext|>", file: dir.appendingPathComponent("vocab.json"))) {
            try CLIPTokenizer(directory: dir)
        }
    }

    @Test func tokenBatchPadsToLongest() {
        let batch = TokenBatch(rows: [[1, 2, 3], [4], []], padTokenId: 9)
        #expect(batch.batchSize == 3 && batch.sequenceLength == 3)
        #expect(batch.ids == [1, 2, 3, 4, 9, 9, 9, 9, 9])
        #expect(batch.lengths == [3, 1, 0])
        #expect(batch.attentionMask == [1, 1, 1, 1, 0, 0, 0, 0, 0])
        #expect(Array(batch.row(1)) == [4, 9, 9])
        #expect(TokenBatch(rows: [], padTokenId: 0).ids.isEmpty)
    }
}
