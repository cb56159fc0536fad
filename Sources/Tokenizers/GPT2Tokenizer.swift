import Foundation

/// GPT-2's byte-level BPE tokenizer. Adds no start or end token; `eosTokenId` (`<|endoftext|>`, 50256) is what
/// captions get appended as their stop signal.
///
/// Matches transformers' GPT2Tokenizer (the `tokenizers`-backed class; GPT2TokenizerFast in 4.x) and
/// tiktoken's `gpt2` encoding:
/// 1. special tokens: an exact `<|endoftext|>` in the raw text becomes 50256 (HF; tiktoken's `encode_ordinary`
///    would treat it as text);
/// 2. no normalizer;
/// 3. pre-tokenizer: GPT-2's pattern
///    `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, case-sensitive,
///    implemented as a scanner over unicode scalars. `\s+(?!\S)` leaves the last whitespace scalar of a run
///    that precedes a non-space for the next word, so `"a  b"` → `a`, ` `, ` b`;
/// 4. each word's UTF-8 bytes go through the byte-level BPE.
public struct GPT2Tokenizer: Sendable {
    /// `<|endoftext|>`.
    public let eosTokenId: Int
    /// One more than the largest id.
    public var vocabularySize: Int { bpe.idToToken.count }

    private let bpe: BytePairEncoder
    private let specials: SpecialTokenSplitter

    /// Loads `vocab.json` and `merges.txt` from an HF GPT-2 folder.
    public init(directory: URL) throws {
        try self.init(vocabulary: BPEVocabulary.load(directory: directory))
    }

    public init(vocabularyURL: URL, mergesURL: URL) throws {
        try self.init(vocabulary: BPEVocabulary.load(vocabularyURL: vocabularyURL, mergesURL: mergesURL))
    }

    init(vocabulary: BPEVocabulary) throws {
        bpe = try BytePairEncoder(vocabulary: vocabulary, endOfWordSuffix: nil)
        guard let eos = vocabulary.tokenToId[Self.endToken] else {
            throw TokenizerError.missingToken(Self.endToken, file: vocabulary.vocabularyURL)
        }
        eosTokenId = eos
        specials = SpecialTokenSplitter([(Self.endToken, eos)])
    }

    static let endToken = "<|endoftext|>"

    /// Words in the BPE cache (for tests).
    var cachedWordCount: Int { bpe.cachedWordCount }

    /// The text's ids, with nothing added.
    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        var scalars: [Unicode.Scalar] = []
        var classes: [ScalarClass] = []
        var word: [UInt8] = []
        specials.forEachPiece(of: text, segment: { segment in
            scalars.removeAll(keepingCapacity: true)
            classes.removeAll(keepingCapacity: true)
            for s in segment {
                scalars.append(s)
                classes.append(ScalarClass.of(s))
            }
            Self.forEachWord(scalars, classes) { range in
                word.removeAll(keepingCapacity: true)
                for i in range { word.appendUTF8(scalars[i]) }
                word.withUnsafeBufferPointer { bpe.encodeWord($0, into: &ids) }
            }
        }, special: { ids.append($0) })
        return ids
    }

    /// Text from ids, as HF's `decode` (and tiktoken's): token bytes concatenated and read as UTF-8 with each
    /// maximal invalid subsequence replaced by U+FFFD. Special tokens are written out unless skipped; ids
    /// outside the vocabulary are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if skipSpecialTokens && id == eosTokenId { continue }
            guard id >= 0, id < bpe.idToToken.count, let token = bpe.idToToken[id] else { continue }
            ByteUnicodeMap.appendBytes(of: token, to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Calls `body` with the index range of each pre-token (see the type's step 3).
    static func forEachWord(_ s: [Unicode.Scalar], _ cls: [ScalarClass], _ body: (Range<Int>) -> Void) {
        let n = s.count
        var i = 0
        while i < n {
            var j: Int
            if s[i] == "'", let length = contractionLength(s, at: i) {
                j = i + length
            } else {
                // ` ?X+`: an optional leading space (U+0020 only) when a non-space follows it.
                let k = (s[i] == " " && i + 1 < n && cls[i + 1] != .whitespace) ? i + 1 : i
                let kind = cls[k]
                if kind != .whitespace {
                    j = k + 1
                    while j < n, cls[j] == kind { j += 1 }
                } else {
                    // `\s+(?!\S)|\s+`: the whole run at the end of the text; otherwise all but its last
                    // scalar, unless the run is a single scalar.
                    var end = i + 1
                    while end < n, cls[end] == .whitespace { end += 1 }
                    j = (end == n || end - i == 1) ? end : end - 1
                }
            }
            body(i..<j)
            i = j
        }
    }
}
