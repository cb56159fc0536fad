import Foundation

/// CLIP's text tokenizer: lowercased byte-level BPE with a `</w>` end-of-word suffix, `<|startoftext|>`
/// (49406) and `<|endoftext|>` (49407) around every sequence, and a 77-token context.
///
/// Matches transformers' CLIPTokenizer (in transformers 5 the `tokenizers`-backed class; CLIPTokenizerFast
/// in 4.x, what AutoTokenizer loads for openai/clip-vit-base-patch32):
/// 1. special tokens: exact `<|startoftext|>` / `<|endoftext|>` in the raw text become their ids;
/// 2. normalizer: NFC, then every `\s+` run → one space, then per-scalar full lowercase mapping
///    (no final-sigma rule, no re-normalization after lowercasing: `İ` → `i` + U+0307);
/// 3. pre-tokenizer: keep the matches of `'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+`, drop the
///    rest (whitespace); each digit is its own word. Implemented as a scanner over unicode scalars;
/// 4. each word's UTF-8 bytes go through the byte-level BPE, its last symbol carrying `</w>`;
/// 5. `<|startoftext|>` + ids + `<|endoftext|>`; padding uses the pad token, `<|endoftext|>` as in HF's config.
///
/// Differences from OpenAI's / open_clip's `SimpleTokenizer`, which cleans text with `ftfy.fix_text`, a double
/// `html.unescape`, Python's `str.split()` and `str.lower()`: here `&amp;` stays four characters, curly quotes
/// stay curly, mojibake is not repaired, fullwidth forms and ligatures are not folded, control characters and
/// U+001C…U+001F are kept, and `Σ` at a word's end lowers to `σ`, not `ς`. open_clip also pads with 0 rather than
/// 49407, and its special tokens are spelled `<start_of_text>`/`<end_of_text>`. Where the two cleanups give the
/// same text the ids are the same (`Tests/Fixtures/gen_tokenizers.py` checks this on every such fixture case).
public struct CLIPTokenizer: Sendable {
    /// OpenAI CLIP's context length.
    public static let defaultContextLength = 77

    /// `<|startoftext|>`, put first in every sequence.
    public let startTokenId: Int
    /// `<|endoftext|>`, put last in every sequence (CLIP pools the text at its first occurrence).
    public let endTokenId: Int
    /// What batches are padded with: `<|endoftext|>`, as `pad_token` in HF's openai/clip-* configs.
    public let padTokenId: Int
    /// One more than the largest id.
    public var vocabularySize: Int { bpe.idToToken.count }

    private let bpe: BytePairEncoder
    private let specials: SpecialTokenSplitter

    /// Loads `vocab.json` and `merges.txt` from an HF CLIP folder.
    public init(directory: URL) throws {
        try self.init(vocabulary: BPEVocabulary.load(directory: directory))
    }

    public init(vocabularyURL: URL, mergesURL: URL) throws {
        try self.init(vocabulary: BPEVocabulary.load(vocabularyURL: vocabularyURL, mergesURL: mergesURL))
    }

    init(vocabulary: BPEVocabulary) throws {
        bpe = try BytePairEncoder(vocabulary: vocabulary, endOfWordSuffix: Self.endOfWordSuffix)
        guard let start = vocabulary.tokenToId[Self.startToken] else {
            throw TokenizerError.missingToken(Self.startToken, file: vocabulary.vocabularyURL)
        }
        guard let end = vocabulary.tokenToId[Self.endToken] else {
            throw TokenizerError.missingToken(Self.endToken, file: vocabulary.vocabularyURL)
        }
        startTokenId = start
        endTokenId = end
        padTokenId = end
        specials = SpecialTokenSplitter([(Self.startToken, start), (Self.endToken, end)])
    }

    static let startToken = "<|startoftext|>"
    static let endToken = "<|endoftext|>"
    static let endOfWordSuffix = "</w>"

    /// Words in the BPE cache (for tests).
    var cachedWordCount: Int { bpe.cachedWordCount }

    /// `<|startoftext|>`, the text's ids, `<|endoftext|>`; no truncation.
    public func encode(_ text: String) -> [Int] {
        var ids = [startTokenId]
        appendTokens(of: text, to: &ids)
        ids.append(endTokenId)
        return ids
    }

    /// As `encode(_:)`, truncated to `contextLength` ids as HF's `truncation=True, max_length=` does: the start
    /// token, the first `contextLength − 2` text ids, the end token. `contextLength` below 2 counts as 2.
    public func encode(_ text: String, contextLength: Int) -> [Int] {
        var ids = [startTokenId]
        appendTokens(of: text, to: &ids)
        let keep = max(contextLength, 2) - 1
        if ids.count > keep { ids.removeSubrange(keep...) }
        ids.append(endTokenId)
        return ids
    }

    /// The texts encoded and truncated to `contextLength`, padded with `padTokenId` to the longest row
    /// (not to `contextLength`: CLIP's causal mask and first-EOS pooling make further padding unnecessary).
    public func encodeBatch(_ texts: [String], contextLength: Int = CLIPTokenizer.defaultContextLength) -> TokenBatch {
        TokenBatch(rows: texts.map { encode($0, contextLength: contextLength) }, padTokenId: padTokenId)
    }

    /// Text from ids, as HF's `decode`: tokens to bytes (lossy UTF-8, U+FFFD for invalid sequences), each
    /// `</w>` replaced by a space, then Python `str.strip()` whitespace trimmed. Unknown ids are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if skipSpecialTokens && (id == startTokenId || id == endTokenId) { continue }
            guard id >= 0, id < bpe.idToToken.count, let token = bpe.idToToken[id] else { continue }
            ByteUnicodeMap.appendBytes(of: token, to: &bytes)
        }
        // "</w>" is ASCII and lossy decoding never swallows an ASCII byte, so replacing it before decoding
        // gives the same text as replacing it after.
        var spaced: [UInt8] = []
        spaced.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<"), i + 3 < bytes.count, bytes[i + 1] == UInt8(ascii: "/"),
               bytes[i + 2] == UInt8(ascii: "w"), bytes[i + 3] == UInt8(ascii: ">") {
                spaced.append(UInt8(ascii: " "))
                i += 4
            } else {
                spaced.append(bytes[i])
                i += 1
            }
        }
        return pythonStrip(String(decoding: spaced, as: UTF8.self))
    }

    private func appendTokens(of text: String, to ids: inout [Int]) {
        var normalized: [Unicode.Scalar] = []
        var word: [UInt8] = []
        specials.forEachPiece(of: text, segment: { segment in
            Self.normalize(segment, into: &normalized)
            Self.forEachWord(in: normalized) { range in
                word.removeAll(keepingCapacity: true)
                for i in range { word.appendUTF8(normalized[i]) }
                word.withUnsafeBufferPointer { bpe.encodeWord($0, into: &ids) }
            }
        }, special: { ids.append($0) })
    }

    /// NFC, whitespace runs → one space, per-scalar lowercase.
    static func normalize(_ segment: Substring.UnicodeScalarView, into out: inout [Unicode.Scalar]) {
        out.removeAll(keepingCapacity: true)
        // Scalars below U+0300 are all NFC-stable starters and none is the second half of a canonical
        // composition, so text made only of them is already NFC: most captions skip the Foundation call.
        let composed: String.UnicodeScalarView? = segment.contains(where: { $0.value >= 0x300 })
            ? String(Substring(segment)).precomposedStringWithCanonicalMapping.unicodeScalars : nil
        var previousWasSpace = false
        func add(_ s: Unicode.Scalar) {
            if s.value < 0x80 {
                let v = UInt8(s.value)
                if v == 0x20 || (0x09...0x0D).contains(v) {
                    if !previousWasSpace { out.append(" ") }
                    previousWasSpace = true
                    return
                }
                previousWasSpace = false
                appendLowercased(s, to: &out)
                return
            }
            let properties = s.properties
            if properties.isWhitespace {
                if !previousWasSpace { out.append(" ") }
                previousWasSpace = true
                return
            }
            previousWasSpace = false
            appendLowercased(s, to: &out)
        }
        if let composed { for s in composed { add(s) } } else { for s in segment { add(s) } }
    }

    /// The full lowercase mapping of one scalar, as Rust's `char::to_lowercase` (HF's Lowercase normalizer).
    @inline(__always)
    static func appendLowercased(_ s: Unicode.Scalar, to out: inout [Unicode.Scalar]) {
        if s.value < 0x80 {
            out.append((0x41...0x5A).contains(s.value) ? Unicode.Scalar(UInt8(s.value) + 0x20) : s)
        } else if s.properties.changesWhenLowercased {
            out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
        } else {
            out.append(s)
        }
    }

    /// Calls `body` with the index range of each pre-token of normalized text (see the type's step 3).
    static func forEachWord(in s: [Unicode.Scalar], _ body: (Range<Int>) -> Void) {
        let n = s.count
        var i = 0
        while i < n {
            let c = s[i]
            let cls = ScalarClass.of(c)
            if cls == .whitespace {
                i += 1
                continue
            }
            var j = i + 1
            if c == "'", let length = contractionLength(s, at: i) {
                j = i + length
            } else {
                switch cls {
                case .letter:
                    while j < n, ScalarClass.of(s[j]) == .letter { j += 1 }
                case .number:
                    break  // one digit per word
                default:
                    while j < n, ScalarClass.of(s[j]) == .other { j += 1 }
                }
            }
            body(i..<j)
            i = j
        }
    }
}

/// Length of the contraction (`'s 't 're 've 'm 'll 'd`, case-sensitive) starting at the apostrophe `s[i]`, if any.
@inline(__always)
func contractionLength(_ s: [Unicode.Scalar], at i: Int) -> Int? {
    guard i + 1 < s.count else { return nil }
    switch s[i + 1] {
    case "s", "t", "m", "d":
        return 2
    case "r", "v":
        return i + 2 < s.count && s[i + 2] == "e" ? 3 : nil
    case "l":
        return i + 2 < s.count && s[i + 2] == "l" ? 3 : nil
    default:
        return nil
    }
}

/// Python's `str.strip()` with no argument: trims scalars for which `str.isspace()` is true
/// (White_Space plus U+001C…U+001F).
func pythonStrip(_ text: String) -> String {
    func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        (0x1C...0x1F).contains(s.value) || s.properties.isWhitespace
    }
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !isPythonSpace($0) }),
          let last = scalars.lastIndex(where: { !isPythonSpace($0) }) else { return "" }
    return String(scalars[first...last])
}
