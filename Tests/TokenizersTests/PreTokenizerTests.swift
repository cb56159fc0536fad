import Testing
@testable import Tokenizers

/// The hand-written pre-tokenizer scanners against the reference patterns (expected pieces from Python's
/// `regex.findall` with the same patterns). Needs no vocabulary.
struct PreTokenizerTests {
    static func gpt2Pieces(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var pieces: [String] = []
        GPT2Tokenizer.forEachWord(scalars, scalars.map(ScalarClass.of)) { range in
            pieces.append(String(String.UnicodeScalarView(scalars[range])))
        }
        return pieces
    }

    static func clipPieces(_ text: String) -> [String] {
        var normalized: [Unicode.Scalar] = []
        CLIPTokenizer.normalize(text.unicodeScalars[...], into: &normalized)
        var pieces: [String] = []
        CLIPTokenizer.forEachWord(in: normalized) { range in
            pieces.append(String(String.UnicodeScalarView(normalized[range])))
        }
        return pieces
    }

    @Test(arguments: [
        ("Hello  world", ["Hello", " ", " world"]),
        ("a\n\nb", ["a", "\n", "\n", "b"]),
        ("it's  12 dogs!!", ["it", "'s", " ", " 12", " dogs", "!!"]),
        ("  x ", [" ", " x", " "]),
        ("a \t b", ["a", " \t", " b"]),
        ("I'M ''s don't", ["I", "'", "M", " ''", "s", " don", "'t"]),
        ("x\u{a0} y", ["x", "\u{a0}", " y"]),
        ("end   ", ["end", "   "]),
        (" ", [" "]),
        ("", []),
    ])
    func gpt2Pattern(text: String, expected: [String]) {
        #expect(Self.gpt2Pieces(text) == expected)
    }

    @Test(arguments: [
        ("it's 12 dogs!!'s", ["it", "'s", "1", "2", "dogs", "!!'", "s"]),
        ("x²½ Café", ["x", "²", "½", "café"]),
        ("''s!'t", ["''", "s", "!'", "t"]),
        ("  A\tB\n\nC  ", ["a", "b", "c"]),
        ("IT'S", ["it", "'s"]),
        ("cafe\u{301}", ["caf\u{e9}"]),  // NFC composes before splitting
        ("İ", ["i", "\u{307}"]),          // lowercase after NFC leaves a combining dot: its own word
        ("", []),
    ])
    func clipPattern(text: String, expected: [String]) {
        let pieces = Self.clipPieces(text)
        #expect(pieces.map { Array($0.unicodeScalars) } == expected.map { Array($0.unicodeScalars) })
    }

    @Test func byteUnicodeMapIsABijection() {
        var seen = Set<UInt32>()
        for b in 0..<256 {
            let s = ByteUnicodeMap.scalars[b]
            #expect(ByteUnicodeMap.byte(for: s) == UInt8(b))
            seen.insert(s.value)
        }
        #expect(seen.count == 256)
        #expect(ByteUnicodeMap.scalars[0x20] == "\u{120}")  // "Ġ"
        #expect(ByteUnicodeMap.scalars[Int(UInt8(ascii: "a"))] == "a")
    }
}
