import Foundation
import Testing
import Tensor
import Models
import Tokenizers
import Decoding
import TestSupport

/// Batching, lengths, start words and option checks, on the tiny GPT-2.
@Suite struct DecoderBehaviorTests {
    let decoder = TinyModel.decoder

    /// Each row of a batch decodes as it does alone (greedy: one row; beam: its N beams).
    @Test(arguments: DecodingCase.greedyNames + DecodingCase.beamNames)
    func batchEqualsRowByRow(_ name: String) throws {
        let c = try DecodingCase.load(name)
        let batch = try decoder.decode(prefix: c.prefix, options: c.options)
        for r in 0..<c.prefixShape[0] {
            #expect(try decoder.decode(prefix: row(c.prefix, r), options: c.options) == [batch[r]], "\(name) row \(r)")
        }
    }

    /// One beam ranked by average log-probability picks the most likely token at every step.
    @Test(arguments: ["greedy_eos", "greedy_period_start"])
    func beamOfWidthOneIsGreedy(_ name: String) throws {
        let c = try DecodingCase.load(name)
        var options = c.options
        options.strategy = .beam(width: 1)
        #expect(try decoder.decode(prefix: c.prefix, options: options) == c.expected)
    }

    @Test(arguments: [DecodingStrategy.greedy, .beam(width: 3), .sample(temperature: 1, topP: 0.9, seed: 1)])
    func maxLengthIsRespected(_ strategy: DecodingStrategy) throws {
        let c = try DecodingCase.load("greedy_eos_start")
        for maxLength in [1, 5] {
            // without stop tokens every row runs to exactly maxLength generated tokens
            let options = DecodingOptions(strategy: strategy, maxLength: maxLength, stopTokens: [], startTokens: c.startTokens)
            let got = try decoder.decode(prefix: c.prefix, options: options)
            #expect(got.count == 3)
            #expect(got.allSatisfy { $0.count == c.startTokens.count + maxLength && Array($0.prefix(2)) == c.startTokens })
            // with them no row is longer
            let stopping = DecodingOptions(strategy: strategy, maxLength: maxLength, stopTokens: [TinyModel.eos],
                                           startTokens: c.startTokens)
            #expect(try decoder.decode(prefix: c.prefix, options: stopping).allSatisfy { $0.count <= c.startTokens.count + maxLength })
        }
    }

    /// Greedy with a shorter maximum is the longer result cut (a prefix of it).
    @Test func shorterMaximumIsAPrefix() throws {
        let c = try DecodingCase.load("greedy_eos")
        var options = c.options
        options.maxLength = 7
        let short = try decoder.decode(prefix: c.prefix, options: options)
        for (s, full) in zip(short, c.expected) { #expect(Array(full.prefix(s.count)) == s && s.count == min(7, full.count)) }
    }

    @Test func zeroMaxLengthReturnsTheStartWords() throws {
        let c = try DecodingCase.load("greedy_eos_start")
        let options = DecodingOptions(strategy: .beam(width: 2), maxLength: 0, stopTokens: [TinyModel.eos], startTokens: c.startTokens)
        #expect(try decoder.decode(prefix: c.prefix, options: options) == [c.startTokens, c.startTokens, c.startTokens])
    }

    /// Start words are forced: a start token that is a stop token does not stop the row.
    @Test func startWordsAreNeverStopTokens() throws {
        let c = try DecodingCase.load("greedy_eos")
        let options = DecodingOptions(strategy: .greedy, maxLength: 3, stopTokens: [TinyModel.eos], startTokens: [TinyModel.eos])
        let got = try decoder.decode(prefix: c.prefix, options: options)
        #expect(got.allSatisfy { $0.first == TinyModel.eos && $0.count > 1 })
    }

    /// The tiny model has 40 positions: prefix 4 + start 2 + (maxLength − 1) must fit.
    @Test func positionsLimitTheMaximumLength() throws {
        let c = try DecodingCase.load("greedy_eos_start")
        let fits = DecodingOptions(strategy: .beam(width: 2), maxLength: 35, stopTokens: [], startTokens: c.startTokens)
        #expect(try decoder.decode(prefix: c.prefix, options: fits).allSatisfy { $0.count == 37 })
        var tooLong = fits
        tooLong.maxLength = 36
        #expect(throws: CaptionDecodingError.sequenceTooLong(positions: 41, limit: 40)) {
            try decoder.decode(prefix: c.prefix, options: tooLong)
        }
    }

    @Test func invalidInputsAreNamed() throws {
        let prefix = try DecodingCase.load("greedy_eos").prefix
        func options(_ s: DecodingStrategy, start: [Int] = [], maxLength: Int = 5) -> DecodingOptions {
            DecodingOptions(strategy: s, maxLength: maxLength, stopTokens: [119], startTokens: start)
        }
        #expect(throws: CaptionDecodingError.invalidPrefix(shape: [3, 4, 5], embeddingSize: 36)) {
            try decoder.decode(prefix: Tensor(zeros: [3, 4, 5]), options: options(.greedy))
        }
        #expect(throws: CaptionDecodingError.invalidPrefix(shape: [4, 36], embeddingSize: 36)) {
            try decoder.decode(prefix: Tensor(zeros: [4, 36]), options: options(.greedy))
        }
        #expect(throws: CaptionDecodingError.tokenOutsideVocabulary(token: 120, vocabularySize: 120)) {
            try decoder.decode(prefix: prefix, options: options(.greedy, start: [3, 120]))
        }
        for bad in [DecodingStrategy.beam(width: 0), .beam(width: 121), .sample(temperature: -1, topP: 1, seed: 0),
                    .sample(temperature: .infinity, topP: 1, seed: 0), .sample(temperature: 1, topP: 0, seed: 0),
                    .sample(temperature: 1, topP: 1.5, seed: 0)] {
            #expect(throws: CaptionDecodingError.self) { try decoder.decode(prefix: prefix, options: options(bad)) }
        }
        #expect(throws: CaptionDecodingError.self) { try decoder.decode(prefix: prefix, options: options(.greedy, maxLength: -1)) }
        #expect(CaptionDecodingError.invalidOption(name: "top_p", reason: "1.5 is not in (0, 1]").description.contains("top_p"))
    }

    @Test func defaultsFollowTheOfficialClipCap() {
        let options = DecodingOptions(stopTokens: [50256])
        #expect(options.maxLength == 67)
        #expect(options.strategy == .beam(width: 5))
        #expect(options.startTokens.isEmpty)
    }
}

/// Stop rules resolved from a tokenizer.
@Suite struct StopRuleTests {
    /// GPT-2's byte → character table (printable bytes stand for themselves, the rest map above U+0100).
    static func byteCharacters() -> [String] {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var codes = printable
        var extra = 0
        for b in 0..<256 where !printable.contains(b) { printable.append(b); codes.append(256 + extra); extra += 1 }
        var table = [String](repeating: "", count: 256)
        for (b, c) in zip(printable, codes) { table[b] = String(Character(Unicode.Scalar(UInt32(c))!)) }
        return table
    }

    @Test func rulesResolveThroughTheTokenizer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("decoding-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var vocab: [String: Int] = [:]
        for (i, t) in Self.byteCharacters().enumerated() { vocab[t] = i }
        vocab["<|endoftext|>"] = 256
        try JSONEncoder().encode(vocab).write(to: dir.appendingPathComponent("vocab.json"))
        try "#version: 0.2\n".write(to: dir.appendingPathComponent("merges.txt"), atomically: true, encoding: .utf8)
        let tokenizer = try GPT2Tokenizer(directory: dir)
        #expect(try StopRule.eos.tokenIds(using: tokenizer) == [256])
        #expect(try StopRule.period.tokenIds(using: tokenizer) == [46])   // the byte "."
        #expect(StopRule(rawValue: "period") == .period && StopRule(rawValue: "eos") == .eos)
        // start words: trimmed, then encoded byte by byte by this merge-less vocabulary
        let options = try DecodingOptions(strategy: .greedy, stop: .period, startWords: " ab c\n", tokenizer: tokenizer)
        #expect(options.stopTokens == [46])
        #expect(options.startTokens == [97, 98, 32, 99])   // ids are byte values here: "a", "b", " ", "c"
        #expect(try DecodingOptions(stop: .eos, tokenizer: tokenizer).startTokens.isEmpty)
    }

    /// The real GPT-2 vocabulary, found as the Tokenizers tests find it: `$CLIPCAP_VOCAB_DIR/gpt2`, else
    /// `<repo>/.cache/vocab/gpt2`; nil when absent.
    static let realVocabulary: URL? = Vocabularies.gpt2

    /// With the real vocabulary: "." is 13 and the end token 50256.
    @Test(.enabled(if: Self.realVocabulary != nil, Comment(rawValue: Vocabularies.missing("gpt2"))))
    func realVocabularyStopTokens() throws {
        let dir = try #require(Self.realVocabulary)
        let tokenizer = try GPT2Tokenizer(directory: dir)
        #expect(try StopRule.eos.tokenIds(using: tokenizer) == [50256])
        #expect(try StopRule.period.tokenIds(using: tokenizer) == [13])
    }
}
