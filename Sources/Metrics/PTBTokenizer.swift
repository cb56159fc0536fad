import Foundation

/// Caption tokenization as pycocoevalcap does it, without Java.
///
/// pycocoevalcap's tokenizer/ptbtokenizer.py writes every caption of a set on its own line (newlines
/// inside a caption become spaces), runs `edu.stanford.nlp.process.PTBTokenizer -preserveLines -lowerCase`
/// from stanford-corenlp-3.4.1.jar over that file, and then drops the tokens in its PUNCTUATIONS list.
/// This type reproduces that: the same lexer grammar (`PTBLexerRules`), the same one-stream reading (a
/// token's trailing context may look into the next caption, as in the jar), Java's English lowercasing,
/// and the same punctuation removal.
///
/// One deviation: other line-break characters inside a caption (CR, U+2028, U+2029, VT, FF) become
/// spaces too. In pycocoevalcap they start a new output line and shift every later caption onto the
/// wrong image; here each caption stays with its image.
///
/// Thread-safe: calls are serialized, since the lexer's automaton is built lazily as text needs it.
public final class PTBTokenizer: @unchecked Sendable {
    /// ptbtokenizer.py's PUNCTUATIONS. They are compared with lowercased tokens, so "-LRB-" and the
    /// other bracket escapes never match: "-lrb-" and "-rrb-" stay in pycocoevalcap's captions.
    public static let punctuation: Set<String> = ["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-",
                                                  ".", "?", "!", ",", ":", "-", "--", "...", ";"]

    private let lexer: PTBLexer
    private let lock = NSLock()

    /// Compiles the lexer grammar. Throws only if the built-in grammar table is malformed.
    public init() throws {
        lexer = try PTBLexer()
    }

    private static let sharedInstance = Result { try PTBTokenizer() }

    /// A process-wide tokenizer, compiled on first use; its automaton keeps what earlier text built.
    public static func shared() throws -> PTBTokenizer { try sharedInstance.get() }

    /// The PTB tokens of one text, lowercased, punctuation kept: what the jar prints for it with
    /// `-preserveLines -lowerCase`. Line breaks in `text` separate tokens and are not returned.
    public func tokens(_ text: String) -> [String] {
        lex(text).compactMap { if case .token(let t) = $0 { return Self.javaLowercased(t) } else { return nil } }
    }

    /// pycocoevalcap's `PTBTokenizer.tokenize` for one set of captions, in order: each caption's
    /// lowercased PTB tokens minus `punctuation`, joined by single spaces. The captions are read as one
    /// stream, one per line, so pass them in the order pycocoevalcap would write them (image by image,
    /// and each image's captions in annotation order) for identical results at caption boundaries.
    public func tokenizeCaptions(_ captions: [String]) -> [String] {
        tokenLines(captions).map { tokens in
            tokens.filter { !Self.punctuation.contains($0) }.joined(separator: " ")
        }
    }

    /// The jar's output for `captions` written one per line: each caption's lowercased PTB tokens,
    /// punctuation kept (what `-preserveLines -lowerCase` prints on that caption's line).
    public func tokenLines(_ captions: [String]) -> [[String]] {
        guard !captions.isEmpty else { return [] }
        let stream = captions.map(Self.oneLine).joined(separator: "\n")
        var lines: [[String]] = [[]]
        for lexeme in lex(stream) {
            switch lexeme {
            case .newline: lines.append([])
            case .token(let t): lines[lines.count - 1].append(Self.javaLowercased(t))
            }
        }
        // Every line break in the stream is one we inserted, so there is one line per caption.
        while lines.count < captions.count { lines.append([]) }
        return Array(lines.prefix(captions.count))
    }

    /// Convenience: `tokenizeCaptions` for a single caption.
    public func tokenizeCaption(_ caption: String) -> String { tokenizeCaptions([caption])[0] }

    private func lex(_ text: String) -> [PTBLexeme] {
        let units = Array(text.utf16)
        lock.lock()
        defer { lock.unlock() }
        return units.withUnsafeBufferPointer { lexer.lex($0) }
    }

    /// The caption on one line: `\n` becomes a space (as ptbtokenizer.py does), and so do the other
    /// characters PTBLexer reads as line breaks.
    static func oneLine(_ caption: String) -> String {
        guard caption.unicodeScalars.contains(where: isLineBreak) else { return caption }
        var out = String.UnicodeScalarView()
        for u in caption.unicodeScalars { out.append(isLineBreak(u) ? " " : u) }
        return String(out)
    }

    /// PTBLexer's NEWLINE characters, except U+0085, which its ellipsis rule takes first.
    private static func isLineBreak(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x0A, 0x0D, 0x0B, 0x0C, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// Java's `String.toLowerCase(Locale.ENGLISH)` as Java 17 does it: full Unicode 13 lowercase mappings
    /// (İ → i̇), Greek capital sigma becoming final ς at the end of a word, later characters unchanged.
    static func javaLowercased(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return s.lowercased() }
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (i, u) in scalars.enumerated() {
            if u == "\u{3A3}", isFinalSigma(scalars, at: i) {
                out.append("\u{3C2}")
            } else if let age = u.properties.age, (age.major, age.minor) <= (13, 0) {
                out.append(contentsOf: u.properties.lowercaseMapping.unicodeScalars)
            } else {
                out.append(u)   // newer than Java 17's Unicode 13 tables: Java leaves it as it is
            }
        }
        return String(out)
    }

    /// Java's final-sigma test (ConditionalSpecialCasing.isFinalCased): a cased letter earlier in the
    /// same word, and none later in it. Words are approximated as runs of letters, digits, marks and connectors.
    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at i: Int) -> Bool {
        func inWord(_ u: Unicode.Scalar) -> Bool {
            !u.properties.isIdeographic && u.properties.isAlphabetic || u.properties.numericType != nil || u.properties.isCaseIgnorable
                || u.properties.generalCategory == .connectorPunctuation
        }
        var j = i - 1
        var casedBefore = false
        while j >= 0, inWord(scalars[j]) {
            if scalars[j].properties.isCased { casedBefore = true; break }
            j -= 1
        }
        guard casedBefore else { return false }
        var k = i + 1
        while k < scalars.count, inWord(scalars[k]) {
            if scalars[k].properties.isCased { return false }
            k += 1
        }
        return true
    }
}
