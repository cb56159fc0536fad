import Foundation
import Testing
import Tokenizers

/// A byte-level BPE learned from captions loads in `GPT2Tokenizer` and round-trips text.
@Suite struct BPETrainerTests {
    static let captions = [
        "a red circle to the left of a blue square",
        "there is a blue square, and a red circle on its left",
        "a small red disk left of a big blue box",
        "an image showing a green star above a white hexagon",
        "a white hexagon below a green star",
        "a picture of a purple triangle under an orange diamond",
    ]

    func folder() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    @Test func learnsMergesThatTheTokenizerUses() throws {
        let trainer = BPETrainer(texts: Self.captions, mergeCount: 40)
        #expect(trainer.merges.count == 40)
        #expect(trainer.tokens.count == 256 + 40 + 1)
        #expect(trainer.tokens.prefix(3) == ["!", "\"", "#"])  // GPT-2's byte order
        #expect(trainer.tokens.last == "<|endoftext|>")
        // The most frequent pair among these captions: " a" (Ġ + a) occurs in every caption many times.
        #expect(trainer.merges[0] == ("Ġ", "a"))
        let dir = try folder()
        try trainer.write(to: dir)
        let merges = try String(contentsOf: dir.appendingPathComponent("merges.txt"), encoding: .utf8)
        #expect(merges.hasPrefix("#version: 0.2\nĠ a\n"))
        let tokenizer = try GPT2Tokenizer(directory: dir)
        #expect(tokenizer.eosTokenId == 296 && tokenizer.vocabularySize == 297)
        for text in Self.captions + ["A RED Circle, unseen words & ünïcödé 123!"] {
            let ids = tokenizer.encode(text)
            #expect(tokenizer.decode(ids) == text)
            #expect(ids.allSatisfy { (0..<296).contains($0) })
        }
        // Learned words are single tokens: " circle" occurs 2 times and " red" 3, so each is merged whole.
        #expect(tokenizer.encode(" red").count == 1)
        #expect(tokenizer.encode(Self.captions[0]).count < Self.captions[0].utf8.count / 2)
        #expect(tokenizer.decode(tokenizer.encode("a star") + [296], skipSpecialTokens: true) == "a star")
    }

    @Test func isDeterministicAndStopsWhenNothingRepeats() throws {
        let a = BPETrainer(texts: Self.captions, mergeCount: 40), b = BPETrainer(texts: Self.captions, mergeCount: 40)
        #expect(a.tokens == b.tokens)
        // These captions have 52 pairs that occur at least twice; asking for more stops there.
        #expect(BPETrainer(texts: Self.captions, mergeCount: 1000).merges.count == 52)
        let tiny = BPETrainer(texts: ["ab ab"], mergeCount: 100)
        // "ab" twice: merge a+b; " ab" once after that... pairs left: (Ġ, ab) once → stop.
        #expect(tiny.merges.map { $0.left + " " + $0.right } == ["a b"])
    }

    /// CLIP's format: lowercased words whose last symbol carries `</w>`, the `</w>` twins of the 256 bytes, and
    /// `<|startoftext|>`, `<|endoftext|>` last; `CLIPTokenizer` loads it. (The shipped world's CLIP vocabulary is
    /// also checked against transformers' CLIPTokenizer in `WorldCheckpointTests`.)
    @Test func learnsCLIPFormat() throws {
        let trainer = BPETrainer(texts: Self.captions.map { $0.uppercased() }, mergeCount: 60, format: .clip)
        // These captions have 40 pairs that occur twice or more; training stops there.
        #expect(trainer.merges.count == 40 && trainer.tokens.count == 512 + 40 + 2)
        #expect(trainer.merges.prefix(3).map { $0.left + " " + $0.right } == ["r e", "l e</w>", "r e</w>"])
        #expect(trainer.tokens[256] == "!</w>" && trainer.tokens.suffix(2) == ["<|startoftext|>", "<|endoftext|>"])
        #expect(trainer.merges.allSatisfy { !$0.left.hasSuffix("</w>") })  // `</w>` only ends a token
        let dir = try folder()
        try trainer.write(to: dir)
        let tokenizer = try CLIPTokenizer(directory: dir)
        #expect(tokenizer.startTokenId == 552 && tokenizer.endTokenId == 553)
        for text in Self.captions {
            let ids = tokenizer.encode(text.uppercased())
            #expect(ids.first == 552 && ids.last == 553)
            #expect(tokenizer.decode(ids, skipSpecialTokens: true) == text.replacingOccurrences(of: ",", with: " ,"))
        }
        // " red" occurs 3 times as a word, so it is one token with </w>.
        let red = tokenizer.encode("red")
        #expect(red.count == 3 && trainer.tokens[red[1]] == "red</w>")
        // Words seen twice or more are whole tokens: "a red circle" is 3 ids between the specials.
        #expect(tokenizer.encode("a red circle").count == 5)
    }
}
