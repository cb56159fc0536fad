/// Cuts raw text around exact occurrences of special tokens before any normalization, as HF's added
/// vocabulary does for special tokens (`normalized: false`, no lstrip/rstrip; leftmost-longest match).
/// So `"a<|endoftext|>b"` encodes `a`, the special id, then `b`; `"<|ENDOFTEXT|>"` stays ordinary text.
struct SpecialTokenSplitter: Sendable {
    /// The special tokens' UTF-8 bytes and ids, longest first so the first match is the longest.
    private let tokens: [(bytes: [UInt8], id: Int)]

    init(_ tokens: [(String, Int)]) {
        self.tokens = tokens.map { (Array($0.0.utf8), $0.1) }.sorted { $0.bytes.count > $1.bytes.count }
    }

    /// Calls `segment` for each run of ordinary text (never empty) and `special` for each special token, in order.
    func forEachPiece(
        of text: String, segment: (Substring.UnicodeScalarView) -> Void, special: (Int) -> Void
    ) {
        let utf8 = text.utf8
        let scalars = text.unicodeScalars
        // Every special token starts with "<"; most texts have none.
        guard !tokens.isEmpty, utf8.contains(UInt8(ascii: "<")) else {
            if !text.isEmpty { segment(scalars[...]) }
            return
        }
        var segmentStart = utf8.startIndex
        var i = utf8.startIndex
        while i != utf8.endIndex {
            var matched: (length: Int, id: Int)? = nil
            if utf8[i] == UInt8(ascii: "<") {
                for token in tokens where utf8[i...].starts(with: token.bytes) {
                    matched = (token.bytes.count, token.id)
                    break
                }
            }
            if let (length, id) = matched {
                // Special tokens are ASCII, so these byte positions are scalar boundaries.
                if segmentStart != i { segment(scalars[segmentStart..<i]) }
                special(id)
                i = utf8.index(i, offsetBy: length)
                segmentStart = i
            } else {
                utf8.formIndex(after: &i)
            }
        }
        if segmentStart != utf8.endIndex { segment(scalars[segmentStart...]) }
    }
}

extension Array where Element == UInt8 {
    /// Appends the UTF-8 encoding of `scalar`.
    @inline(__always)
    mutating func appendUTF8(_ scalar: Unicode.Scalar) {
        let v = scalar.value
        if v < 0x80 {
            append(UInt8(v))
        } else {
            UTF8.encode(scalar) { append($0) }
        }
    }
}
